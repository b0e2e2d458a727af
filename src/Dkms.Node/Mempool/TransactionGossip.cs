using System.Threading.Channels;
using Dkms.Core.Encoding;
using Dkms.Core.Primitives;
using Dkms.Core.Transactions;
using Dkms.Node.Networking;
using Dkms.Node.Supervision;
using Microsoft.Extensions.Logging;

namespace Dkms.Node.Mempool;

/// <summary>
/// Spreads transactions between validators in batches. Transactions admitted from this node's RPC are
/// sent to every peer once admissible (<see cref="TransactionPool.Admissible"/>: an orphan only when its predecessor
/// comes), and transactions from peers are never sent on (validators are fully connected); batches received
/// from peers are decoded and handed to the node's one admission writer, which verifies their signatures in parallel.
/// Both directions use bounded queues: under overload, gossip is dropped (the proposer that holds a
/// transaction still proposes it), never the node. Received gossip waits with a share per peer, by count and bytes,
/// so one peer's flood neither crowds out the others nor holds more than its share of memory; a message larger than a
/// full batch is dropped unread.
/// </summary>
public sealed partial class TransactionGossip : IDisposable
{
    private const int QueueCapacity = 1_000;

    /// <summary>Received gossip messages waiting per peer, by count and by bytes.</summary>
    public const int QueuedMessagesPerPeer = 100;
    public const long QueuedBytesPerPeer = 16 * 1024 * 1024;

    private readonly IPeerLink _link;
    private readonly Func<IReadOnlyList<Transaction>, Task> _admit;
    private readonly int _batchSize;
    private readonly ILogger _logger;
    private readonly Channel<IReadOnlyList<Transaction>> _outgoing = Channel.CreateBounded<IReadOnlyList<Transaction>>(
        new BoundedChannelOptions(QueueCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.DropWrite });
    // Wait mode: TryWrite then reports a full queue, which the per-peer accounting needs (it is never awaited).
    private readonly Channel<(PublicKey From, byte[] Message)> _incoming = Channel.CreateBounded<(PublicKey, byte[])>(
        new BoundedChannelOptions(QueueCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly CancellationTokenSource _stop = new();
    private Task? _sender;
    private Task? _receiver;
    private long _malformed;
    private long _dropped;
    private readonly Dictionary<PublicKey, (int Count, long Bytes)> _waiting = new();
    private readonly Lock _waitingLock = new();

    /// <param name="admit">Hands a decoded batch to the node's admission writer; the receive loop awaits it, so it has one
    /// batch in admission at a time and what comes meanwhile waits in the per-peer shares.</param>
    public TransactionGossip(IPeerLink link, Func<IReadOnlyList<Transaction>, Task> admit, int batchSize, ILogger<TransactionGossip> logger)
    {
        _link = link;
        _admit = admit;
        _batchSize = batchSize;
        _logger = logger;
        MaxMessageBytes = (long)batchSize * (Dkms.Core.Transactions.Limits.MaxTransactionBytes + 8) + 64;
    }

    /// <summary>Gossip messages from peers that did not decode.</summary>
    public long Malformed => Interlocked.Read(ref _malformed);

    /// <summary>Starts the send and receive loops under <paramref name="loops"/> (the node's supervisor).</summary>
    public void Start(ILoopRunner loops)
    {
        _sender = loops.Run("gossip-send", _ => SendLoop());
        _receiver = loops.Run("gossip-receive", _ => ReceiveLoop());
    }

    public void Enqueue(IReadOnlyList<Transaction> txs) => _outgoing.Writer.TryWrite(txs);

    /// <summary>Largest gossip message taken: a full batch of the largest transactions with their framing.</summary>
    public long MaxMessageBytes { get; }

    /// <summary>Gossip messages dropped on receipt: too large, or the sender's share of the queue is full.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Gossip messages from <paramref name="peer"/> waiting to be decoded.</summary>
    public int QueuedMessagesOf(PublicKey peer)
    {
        lock (_waitingLock) return _waiting.GetValueOrDefault(peer).Count;
    }

    /// <summary>Bytes of gossip messages from all peers waiting to be decoded.</summary>
    public long QueuedBytes
    {
        get
        {
            lock (_waitingLock) return _waiting.Values.Sum(w => w.Bytes);
        }
    }

    /// <summary>Called on a transport thread; decoding and admission happen on the gossip task.</summary>
    public void Receive(PublicKey from, byte[] message)
    {
        if (message.LongLength > MaxMessageBytes)
        {
            Interlocked.Increment(ref _malformed);
            return;
        }

        lock (_waitingLock)
        {
            var w = _waiting.GetValueOrDefault(from);
            if (w.Count >= QueuedMessagesPerPeer || w.Bytes + message.LongLength > QueuedBytesPerPeer
                || !_incoming.Writer.TryWrite((from, message)))
            {
                Interlocked.Increment(ref _dropped);
                return;
            }

            _waiting[from] = (w.Count + 1, w.Bytes + message.LongLength);
        }
    }

    private void Release(PublicKey from, int size)
    {
        lock (_waitingLock)
        {
            var w = _waiting[from];
            if (w.Count == 1) _waiting.Remove(from);
            else _waiting[from] = (w.Count - 1, w.Bytes - size);
        }
    }

    private async Task SendLoop()
    {
        var reader = _outgoing.Reader;
        var batch = new List<byte[]>(_batchSize);
        try
        {
            while (await reader.WaitToReadAsync(_stop.Token).ConfigureAwait(false))
            {
                // Drain whatever is queued right now into batches: no timer, no added latency.
                while (reader.TryRead(out var txs))
                {
                    foreach (var tx in txs)
                    {
                        batch.Add(tx.Encoded);
                        if (batch.Count >= _batchSize) Flush(batch);
                    }
                }

                Flush(batch);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Flush(List<byte[]> batch)
    {
        if (batch.Count == 0) return;
        _link.Broadcast(NodeChannel.Mempool, Codec.Encode(batch.ToArray()));
        batch.Clear();
    }

    private async Task ReceiveLoop()
    {
        var reader = _incoming.Reader;
        var txs = new List<Transaction>();
        try
        {
            while (await reader.WaitToReadAsync(_stop.Token).ConfigureAwait(false))
            {
                txs.Clear();
                while (txs.Count < 4 * _batchSize && reader.TryRead(out var item))
                {
                    Release(item.From, item.Message.Length);
                    Decode(item.From, item.Message, txs);
                }

                if (txs.Count > 0) await _admit(txs).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception e)
        {
            LogAdmissionFailed(_logger, e);
            throw; // to the supervisor: /health names the loop and the node stops
        }
    }

    private void Decode(PublicKey from, byte[] message, List<Transaction> into)
    {
        if (!Codec.TryDecode<byte[][]>(message, out var encoded, out _) || encoded is null || encoded.Length > 4 * _batchSize)
        {
            Interlocked.Increment(ref _malformed);
            LogMalformed(_logger, from.ToHex());
            return;
        }

        foreach (var bytes in encoded)
        {
            if (bytes is not null && TransactionCodec.TryDecode(bytes, out var tx, out _)) into.Add(tx!);
            else Interlocked.Increment(ref _malformed);
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _outgoing.Writer.TryComplete();
        _incoming.Writer.TryComplete();
        try
        {
            Task.WaitAll([.. new[] { _sender, _receiver }.OfType<Task>()], TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }

        _stop.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dropped a malformed gossip message from peer {Peer}")]
    private static partial void LogMalformed(ILogger logger, string peer);

    [LoggerMessage(Level = LogLevel.Error, Message = "Admitting gossiped transactions failed; gossip receiving stops")]
    private static partial void LogAdmissionFailed(ILogger logger, Exception e);
}
