using Dkms.Core.Blocks;
using Dkms.Core.Primitives;
using Microsoft.Extensions.Logging;

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

    /// <summary>Messages dropped at intake, per peer and reason.</summary>
    public IntakeStats Intake => Machine.Intake;

    /// <summary>Events whose handling failed with an exception other than a storage fault: each was contained (the
    /// event is lost, the loop goes on) and logged, rate-limited.</summary>
    public long ContainedFaults => Interlocked.Read(ref _containedFaults);

    /// <summary>The last contained fault (type and message), for status and metrics.</summary>
    public string? LastContainedFault { get; private set; }

    /// <summary>Raised for each contained fault (on the loop thread).</summary>
    public event Action<Exception>? FaultContained;

    /// <summary>Decides which exceptions stop the loop: a <see cref="ConsensusStorageException"/>, and whatever this
    /// says is a fault of the node's own storage (the node passes its store's exception type).</summary>
    public Func<Exception, bool> IsStorageFault { get; init; } = _ => false;

    private long _containedFaults;
    private readonly LogLimiter _faultLog = new();
    private ConsensusObserver? _observer;

    /// <summary>Where step and round durations, rounds per height, late and duplicate votes and peers' heights go
    /// (optional; set before the machine starts).</summary>
    public IConsensusMetrics? Metrics { get; init; }

    /// <summary>The consensus state as published after the last event: what other threads (RPC, metrics) read, never
    /// the machine itself.</summary>
    public ConsensusStatus Status => _observer?.Status ?? ConsensusStatus.NotStarted;

    public abstract void Post(ConsensusEvent e);

    /// <summary>Entry point for the transport (any thread): bytes too large for the chain's blocks or of a shape the
    /// protocol does not allow are dropped and counted against <paramref name="from"/>; the rest become events.</summary>
    public void Deliver(PublicKey from, byte[] bytes)
    {
        var limits = Machine.Limits;
        if (bytes.LongLength > IntakeBounds.MaxMessageBytes(limits))
        {
            Machine.Drop(from, DropReason.Malformed, $"{bytes.Length} bytes, more than any message of this chain");
            return;
        }

        // Decoding costs up to a whole block's worth of work: not for bytes whose event would find no room anyway.
        if (!HasRoom(from, bytes.Length))
        {
            Machine.Drop(from, DropReason.QueueFull, $"no room for {bytes.Length} more bytes from this peer");
            return;
        }

        ConsensusMessage? m;
        string why;
        try
        {
            if (!ConsensusMessage.TryDecode(bytes, limits, out m, out why)) m = null;
        }
        catch (Exception e)
        {
            // TryDecode maps the decoder's known failures to false; anything else is still the peer's bytes, not a
            // reason to throw into the transport's thread.
            m = null;
            why = $"{e.GetType().Name}: {e.Message}";
        }

        if (m is null)
        {
            Machine.Drop(from, DropReason.Malformed, why);
            return;
        }

        Post(from, ToEvent(from, m), bytes.Length);
    }

    /// <summary>Whether an event of <paramref name="size"/> bytes from <paramref name="from"/> would find room now (a
    /// cheap check before decoding; <see cref="Post(PublicKey, ConsensusEvent, int)"/> checks again).</summary>
    protected virtual bool HasRoom(PublicKey from, int size) => true;

    /// <summary>Posts an event that came from <paramref name="from"/>'s <paramref name="size"/> bytes (a driver may bound
    /// what each peer has waiting).</summary>
    protected virtual void Post(PublicKey from, ConsensusEvent e, int size) => Post(e);

    private static ConsensusEvent ToEvent(PublicKey from, ConsensusMessage m) => m.Kind switch
    {
        MessageKind.Proposal => new ProposalReceived(from, m.Proposal!, m.Justification),
        MessageKind.Vote => new VoteReceived(from, m.Vote!, m.Justification),
        MessageKind.BlockRequest => new BlockRequested(from, m.Height),
        _ => new BlockFetched(from, m.Block!, m.Certificate!),
    };

    /// <summary>Starts the machine. Not contained: no peer input is involved yet, and a machine that failed to start
    /// has no height to work at.</summary>
    protected void StartMachine()
    {
        _observer = new ConsensusObserver(Machine, _time, Metrics);
        Execute(Machine.Start());
        _observer.After();
    }

    /// <summary>Handles one event and carries out its actions. An exception is contained (counted, logged rate-limited,
    /// the loop goes on) unless it is a storage fault, which stops the loop.</summary>
    protected void Step(ConsensusEvent e)
    {
        // Inside the containment: an event of a shape no intake check caught must not stop the loop in the observer.
        Contain(() =>
        {
            _observer?.Before(e);
            return Machine.Handle(e);
        });
        _observer?.After();
    }

    private void Contain(Func<IReadOnlyList<ConsensusAction>> handle)
    {
        try
        {
            Execute(handle());
        }
        catch (Exception e) when (e is not ConsensusStorageException && !IsStorageFault(e))
        {
            Interlocked.Increment(ref _containedFaults);
            LastContainedFault = $"{e.GetType().Name}: {e.Message}";
            if (_faultLog.ShouldLog(_time, FaultLogInterval, out var heldBack))
            {
                Machine.Logger.LogError(e, "handling a consensus event failed; the event is dropped and the loop goes on ({HeldBack} more not logged)", heldBack);
            }

            FaultContained?.Invoke(e);
        }
    }

    private static readonly TimeSpan FaultLogInterval = TimeSpan.FromSeconds(10);

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

    public void Start() => StartMachine();

    public override void Post(ConsensusEvent e)
    {
        _queue.Enqueue(e);
        if (_running) return;
        _running = true;
        try
        {
            while (_queue.TryDequeue(out var next)) Step(next);
        }
        finally
        {
            _running = false;
        }
    }
}
