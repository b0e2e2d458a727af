using Dkms.Core.Blocks;
using Dkms.Core.Encoding;
using Dkms.Core.Primitives;

namespace Dkms.Consensus;

/// <summary>
/// Carries out a state machine's actions: messages through the transport, timeouts as
/// <see cref="TimeProvider"/> timers that post <see cref="TimeoutFired"/> back. Subclasses decide how events
/// reach the machine (a channel loop, or synchronously for simulations).
/// </summary>
public abstract class ConsensusDriver : IDisposable
{
    private readonly TimeProvider _time;
    private readonly ITransport _transport;
    private readonly Dictionary<ITimer, ulong> _timers = new(); // live timers and the height of their timeout
    private readonly Lock _timersLock = new();
    private bool _disposed;

    protected ConsensusDriver(ConsensusStateMachine machine, ITransport transport, TimeProvider time)
    {
        Machine = machine;
        _transport = transport;
        _time = time;
    }

    public ConsensusStateMachine Machine { get; }

    /// <summary>Raised on the loop thread after each block is committed.</summary>
    public event Action<Block, CommitCertificate>? Committed;

    /// <summary>Messages that did not decode (garbage from a faulty or malicious peer); dropped.</summary>
    public int MalformedMessages => _malformed;

    private int _malformed;

    public abstract void Post(ConsensusEvent e);

    /// <summary>Entry point for the transport: decodes untrusted bytes into an event.</summary>
    public void Deliver(PublicKey from, byte[] bytes)
    {
        if (!Codec.TryDecode<ConsensusMessage>(bytes, out var m, out _) || m is null || ToEvent(from, m) is not { } e)
        {
            Interlocked.Increment(ref _malformed); // Deliver runs on transport threads
            return;
        }

        Post(e);
    }

    private static ConsensusEvent? ToEvent(PublicKey from, ConsensusMessage m) => m.Kind switch
    {
        MessageKind.Proposal when m.Proposal is not null => new ProposalReceived(from, m.Proposal),
        MessageKind.Vote when m.Vote is not null => new VoteReceived(from, m.Vote),
        MessageKind.BlockRequest => new BlockRequested(from, m.Height),
        MessageKind.BlockResponse when m.Block is not null && m.Certificate is not null => new BlockFetched(from, m.Block, m.Certificate),
        _ => null,
    };

    protected void Execute(IReadOnlyList<ConsensusAction> actions)
    {
        if (_disposed) return;
        foreach (var a in actions)
        {
            switch (a)
            {
                case BroadcastAction b: _transport.Broadcast(b.Message); break;
                case SendAction s: _transport.Send(s.Peer, s.Message); break;
                case ScheduleTimeoutAction t: StartTimer(t.Timeout, t.Delay); break;
                case CommittedAction c:
                    CancelTimersUpTo(c.Block.Height); // the machine ignores timeouts of past heights: don't keep them armed
                    Committed?.Invoke(c.Block, c.Certificate);
                    break;
            }
        }
    }

    private void StartTimer(ConsensusTimeout timeout, TimeSpan delay)
    {
        ITimer? timer = null;
        timer = _time.CreateTimer(_ =>
        {
            lock (_timersLock)
            {
                if (_disposed || !_timers.Remove(timer!)) return;
            }

            timer!.Dispose();
            Post(new TimeoutFired(timeout));
        }, null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        lock (_timersLock) _timers.Add(timer, timeout.Height);
        timer.Change(delay, Timeout.InfiniteTimeSpan);
    }

    private void CancelTimersUpTo(ulong height)
    {
        List<ITimer>? stale = null;
        lock (_timersLock)
        {
            foreach (var (timer, h) in _timers)
            {
                if (h <= height) (stale ??= new()).Add(timer);
            }

            if (stale is not null)
            {
                foreach (var t in stale) _timers.Remove(t);
            }
        }

        if (stale is null) return;
        foreach (var t in stale) t.Dispose();
    }

    public void Dispose()
    {
        ITimer[] timers;
        lock (_timersLock)
        {
            _disposed = true;
            timers = _timers.Keys.ToArray();
            _timers.Clear();
        }

        foreach (var t in timers) t.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>Runs events on the caller's thread, queued so that re-entrant posts (a timer firing during an action)
/// are handled after the current event: deterministic under a fake clock.</summary>
public sealed class SynchronousDriver : ConsensusDriver
{
    private readonly Queue<ConsensusEvent> _queue = new();
    private bool _running;

    public SynchronousDriver(ConsensusStateMachine machine, ITransport transport, TimeProvider time) : base(machine, transport, time)
    {
    }

    public void Start() => Execute(Machine.Start());

    public override void Post(ConsensusEvent e)
    {
        _queue.Enqueue(e);
        if (_running) return;
        _running = true;
        try
        {
            while (_queue.TryDequeue(out var next)) Execute(Machine.Handle(next));
        }
        finally
        {
            _running = false;
        }
    }
}
