using System.Collections.Concurrent;
using System.Threading.Channels;
using Dkms.Core.Primitives;
using Dkms.Core.Transactions;
using Dkms.Node.Mempool;
using Microsoft.Extensions.Logging;

namespace Dkms.Node;

public sealed partial class ValidatorNode
{
    // FullMode.Wait makes TryWrite refuse when full (DropWrite would report success and drop the transaction,
    // leaving it "pending" forever); a refused submission is answered as mempool-full, to be retried.
    private readonly Channel<Transaction> _admissionQueue;
    // Queued signed forms (by envelope hash), and how many forms of each transaction (by its identifier) are queued.
    private readonly ConcurrentDictionary<Hash32, byte> _queued = new();
    private readonly ConcurrentDictionary<Hash32, int> _queuedIds = new();
    private Task? _admission;

    /// <summary>Transactions queued for background admission.</summary>
    public int AdmissionQueueLength => _queued.Count;

    /// <summary>True when <see cref="AdmitLater(IReadOnlyList{Transaction})"/> would refuse every transaction now (the
    /// queue or the pending journal is full).</summary>
    public bool AdmissionQueueIsFull => _admissionQueue.Reader.Count >= Settings.Mempool.AdmissionQueueTransactions || Journal.IsFull;

    /// <summary>Pending: in the mempool or queued for admission.</summary>
    public bool IsPending(Hash32 hash) => _queuedIds.ContainsKey(hash) || Pool.Contains(hash);

    /// <summary>As <see cref="AdmitLater(IReadOnlyList{Transaction}, out Task)"/>, without waiting for the journal.</summary>
    public bool[] AdmitLater(IReadOnlyList<Transaction> txs) => AdmitLater(txs, out _);

    /// <summary>Queues transactions for admission in the background (submit mode <c>async</c>): the
    /// caller does not wait for signature checks. False for each one the full queue (or full journal) refused. Once one
    /// is refused so are all after it, even if the queue has room again by then: a client resubmits the refused
    /// ones in order, so a later transaction of an identity never gets in ahead of its refused predecessor
    /// (it would wait in the pool for a predecessor kept out). Each queued one is journaled; <paramref name="durable"/>
    /// completes when all of them are on disk — only then may they be acknowledged (it faults if the journal failed).</summary>
    public bool[] AdmitLater(IReadOnlyList<Transaction> txs, out Task durable)
    {
        var queued = new bool[txs.Count];
        var waits = new List<Task>();
        // Journal numbers in queue order: a replay after a crash admits them in the order they were queued.
        lock (_admitLaterLock)
        {
            for (var i = 0; i < txs.Count; i++)
            {
                // Deduplicated by the whole signed form: another form of the same transaction (one with a bad signature a
                // relayer sent first, say) must not make this one look queued while it is not.
                if (!_queued.TryAdd(txs[i].EnvelopeHash, 0))
                {
                    // Queued already (by an earlier request, journaled then): acknowledged once its entry is on disk.
                    if (Journal.Append(txs[i]) is not { } earlier) break;
                    waits.Add(earlier);
                    queued[i] = true;
                    continue;
                }

                var journaled = Journal.Append(txs[i]);
                queued[i] = journaled is not null && _admissionQueue.Writer.TryWrite(txs[i]);
                if (queued[i])
                {
                    _queuedIds.AddOrUpdate(txs[i].Hash, 1, (_, n) => n + 1);
                    waits.Add(journaled!);
                    continue;
                }

                if (journaled is not null) Journal.Forget(txs[i]);
                _queued.TryRemove(txs[i].EnvelopeHash, out _);
                break;
            }
        }

        durable = waits.Count == 0 ? Task.CompletedTask : Task.WhenAll(waits.Distinct());
        return queued;
    }

    private readonly Lock _admitLaterLock = new();

    /// <summary>Forgets a transaction the admission loop has handled.</summary>
    private void Dequeued(Transaction tx)
    {
        _queued.TryRemove(tx.EnvelopeHash, out _);
        while (_queuedIds.TryGetValue(tx.Hash, out var n))
        {
            if (n <= 1 ? _queuedIds.TryRemove(KeyValuePair.Create(tx.Hash, n)) : _queuedIds.TryUpdate(tx.Hash, n - 1, n)) return;
        }
    }

    private static Channel<Transaction> CreateAdmissionQueue(int capacity) => Channel.CreateBounded<Transaction>(
        new BoundedChannelOptions(capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });

    private void StartAdmission() => _admission = Supervisor.Run("admission", _ => AdmissionLoop());

    /// <summary>Admits queued transactions in batches, so signatures of a batch are verified on all cores. A
    /// transaction accepted into the queue is never refused for a full pool: the loop takes only what the pool
    /// has room for and waits for commits to make room, so the queue fills and new submissions are refused
    /// (to be retried) instead.</summary>
    private async Task AdmissionLoop()
    {
        var reader = _admissionQueue.Reader;
        var batch = new List<Transaction>(AdmissionBatch);
        var refused = new List<Transaction>();
        try
        {
            while (refused.Count > 0 || await reader.WaitToReadAsync(_stop.Token).ConfigureAwait(false))
            {
                var (roomCount, roomBytes) = Pool.Room;
                if (roomCount <= 0 || roomBytes <= 0)
                {
                    await Task.Delay(RoomPollInterval, Time, _stop.Token).ConfigureAwait(false);
                    continue;
                }

                batch.Clear();
                var take = Math.Min(AdmissionBatch, roomCount);
                foreach (var tx in refused)
                {
                    if (batch.Count >= take || tx.Encoded.Length > roomBytes) break;
                    batch.Add(tx);
                    roomBytes -= tx.Encoded.Length;
                }

                refused.RemoveRange(0, batch.Count);
                while (refused.Count == 0 && batch.Count < take && reader.TryPeek(out var next) && next.Encoded.Length <= roomBytes
                       && reader.TryRead(out var tx))
                {
                    batch.Add(tx);
                    roomBytes -= tx.Encoded.Length;
                }

                if (batch.Count == 0)
                {
                    await Task.Delay(RoomPollInterval, Time, _stop.Token).ConfigureAwait(false);
                    continue;
                }

                var outcomes = Admit(batch);
                var refusedNow = new List<Transaction>();
                for (var i = 0; i < batch.Count; i++)
                {
                    // Transactions gossiped in meanwhile may have taken the room: try again later.
                    if (outcomes[i].Status == AdmitStatus.Full) refusedNow.Add(batch[i]);
                    else Dequeued(batch[i]);
                }

                // They came before whatever is still waiting in the list: keep the submission order.
                refused.InsertRange(0, refusedNow);
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

    private const int AdmissionBatch = 4096;

    private static readonly TimeSpan RoomPollInterval = TimeSpan.FromMilliseconds(10);

    [LoggerMessage(Level = LogLevel.Error, Message = "Background admission failed; async submissions are no longer admitted")]
    private static partial void LogAdmissionFailed(ILogger logger, Exception e);
}
