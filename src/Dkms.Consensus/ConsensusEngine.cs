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
