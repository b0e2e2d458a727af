using System.Threading.Channels;
using Dkms.Core.Primitives;

namespace Dkms.Consensus;

/// <summary>
/// The production driver: one loop task reads a bounded channel of events and feeds the state machine, so
/// the machine is only ever touched by one thread. Network messages are dropped when the channel is full, or when
/// their sender already has its share waiting (<see cref="IntakeBounds.QueuedMessagesPerPeer"/> messages, or
/// <see cref="IntakeBounds.QueuedLargestMessagesPerPeer"/> times the largest message in bytes): the protocol tolerates
/// loss, and one peer cannot crowd out the others or fill memory. Timeouts and local events wait for room.
/// </summary>
public sealed class ConsensusEngine : ConsensusDriver
{
    private readonly Channel<Queued> _events;
    private readonly Dictionary<PublicKey, (int Count, long Bytes)> _waiting = new();
    private readonly Lock _waitingLock = new();
    private readonly long _maxBytesPerPeer;

    public ConsensusEngine(ConsensusStateMachine machine, ITransport transport, TimeProvider time, int capacity)
        : base(machine, transport, time)
    {
        _events = Channel.CreateBounded<Queued>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _maxBytesPerPeer = IntakeBounds.QueuedLargestMessagesPerPeer * IntakeBounds.MaxMessageBytes(machine.Limits);
    }

    /// <summary>Events from peers waiting in the queue.</summary>
    public int QueuedPeerEvents
    {
        get
        {
            lock (_waitingLock) return _waiting.Values.Sum(w => w.Count);
        }
    }

    // TransactionsAvailable is announced once per height: Armed → (announce) Queued → (handled) Armed again if the machine
    // still waits for transactions, else Parked until the height changes. Announcing per admitted batch would queue one
    // event per batch, and with a full queue each becomes a write waiting for room, without bound.
    private const int Armed = 0, QueuedAnnouncement = 1, Parked = 2;
    private int _announcement;
    private ulong _parkedAt;

    /// <summary>Tells the machine that the pool has new transactions (any thread). At most one such event waits in the
    /// queue, and after it is handled at a height where the machine does not wait for transactions, none comes until the
    /// next height: the machine looks at the pool by itself when it starts one.</summary>
    public void AnnounceTransactions()
    {
        if (Interlocked.CompareExchange(ref _announcement, QueuedAnnouncement, Armed) == Armed) Post(new TransactionsAvailable());
    }

    /// <summary>Transactions-available events waiting in the queue (0 or 1 when announced through
    /// <see cref="AnnounceTransactions"/>).</summary>
    public int QueuedAnnouncements => Volatile.Read(ref _announcement) == QueuedAnnouncement ? 1 : 0;

    /// <summary>Events waiting in the queue.</summary>
    public int QueuedEvents => _events.Reader.Count;

    private void AfterEvent(ConsensusEvent e)
    {
        if (e is TransactionsAvailable)
        {
            if (Machine.IsWaitingForTransactions) Rearm();
            else
            {
                _parkedAt = Machine.Height;
                Volatile.Write(ref _announcement, Parked);
            }
        }
        else if (Volatile.Read(ref _announcement) == Parked && Machine.Height != _parkedAt)
        {
            Rearm();
        }
    }

    private void Rearm()
    {
        Volatile.Write(ref _announcement, Armed);
        // Transactions added after the machine looked at the pool, while the announcement was not armed, announced nothing.
        if (Machine.IsWaitingForTransactions && Machine.HasReadyTransactions) AnnounceTransactions();
    }

    public override void Post(ConsensusEvent e)
    {
        if (_events.Writer.TryWrite(new Queued(e, null, 0)) || e is ProposalReceived or VoteReceived or BlockFetched or BlockRequested or PeerConnected or PeerDisconnected) return;
        _ = _events.Writer.WriteAsync(new Queued(e, null, 0)).AsTask();
    }

    protected override bool HasRoom(PublicKey from, int size)
    {
        lock (_waitingLock)
        {
            var w = _waiting.GetValueOrDefault(from);
            return w.Count < IntakeBounds.QueuedMessagesPerPeer && w.Bytes + size <= _maxBytesPerPeer;
        }
    }

    protected override void Post(PublicKey from, ConsensusEvent e, int size)
    {
        lock (_waitingLock)
        {
            var w = _waiting.GetValueOrDefault(from);
            if (w.Count >= IntakeBounds.QueuedMessagesPerPeer || w.Bytes + size > _maxBytesPerPeer)
            {
                Machine.Drop(from, DropReason.QueueFull, $"{w.Count} messages ({w.Bytes} bytes) from this peer wait already");
                return;
            }

            if (!_events.Writer.TryWrite(new Queued(e, from, size)))
            {
                Machine.Drop(from, DropReason.QueueFull, "the event queue is full");
                return;
            }

            _waiting[from] = (w.Count + 1, w.Bytes + size);
        }
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        StartMachine();
        await foreach (var q in _events.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            if (q.From is { } from) Release(from, q.Size);
            Step(q.Event);
            AfterEvent(q.Event);
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

    private readonly record struct Queued(ConsensusEvent Event, PublicKey? From, int Size);
}
