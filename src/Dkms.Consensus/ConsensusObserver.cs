using System.Collections.Immutable;
using Dkms.Core.Primitives;

namespace Dkms.Consensus;

/// <summary>
/// What a driver measures of its state machine, for the node to export (Prometheus in <c>dkms-node</c>). Called on the
/// loop thread only, after the event that caused it; an implementation must be quick and must not throw.
/// </summary>
public interface IConsensusMetrics
{
    /// <summary>The machine left <paramref name="step"/> of a round after <paramref name="duration"/>.</summary>
    void StepEnded(Step step, TimeSpan duration);

    /// <summary>A round ended (a later round began, or the height committed) after <paramref name="duration"/>.</summary>
    void RoundEnded(TimeSpan duration);

    /// <summary>A height was decided in <paramref name="rounds"/> rounds (1 when round 0 committed).</summary>
    void HeightDecided(ulong height, int rounds);

    /// <summary>A vote for a height this node has passed, or for an earlier round of its height.</summary>
    void LateVote();

    /// <summary>A vote this node already held (a re-broadcast, or a further conflicting vote once evidence is on record).</summary>
    void DuplicateVote();

    /// <summary>The highest height <paramref name="peer"/> was seen working at (from its proposals, votes and requests).</summary>
    void PeerHeight(PublicKey peer, ulong height);

    /// <summary>This node sent a proposal of <paramref name="bytes"/>, built under a transfer cap of
    /// <paramref name="capBytes"/>; <paramref name="bytesPerSecond"/> is its <see cref="TransferPace"/> estimate
    /// (0: not engaged), <paramref name="missed"/> its count of proposals that missed their round.</summary>
    void ProposalSent(int bytes, int capBytes, double bytesPerSecond, long missed) { }
}

/// <summary>
/// The consensus state as last published by the loop: an immutable copy taken after each event, so that RPC and
/// metrics on other threads read it without touching the state machine (CometBFT's <c>GetRoundState</c> copy).
/// </summary>
/// <param name="HeldBlocks">Catch-up answers held for later heights (<see cref="ConsensusStateMachine.HeldBlocks"/>).</param>
/// <param name="HeldBlockBytes">Their estimated bytes.</param>
/// <param name="BlocksFetchedAhead">Blocks taken that answered a request made ahead of their height, since start.</param>
public sealed record ConsensusStatus(ulong Height, int Round, Step Step, int BufferedMessages, ImmutableDictionary<PublicKey, ulong> PeerHeights,
    int HeldBlocks = 0, long HeldBlockBytes = 0, long BlocksFetchedAhead = 0)
{
    public static readonly ConsensusStatus NotStarted = new(0, 0, Step.Propose, 0, ImmutableDictionary<PublicKey, ulong>.Empty);
}

/// <summary>
/// Follows the machine from event to event on the loop thread: publishes <see cref="ConsensusStatus"/> when it changed
/// and reports step and round durations, rounds per height, late and duplicate votes and peers' heights to an optional
/// <see cref="IConsensusMetrics"/>. Time comes from the driver's <see cref="TimeProvider"/>.
/// </summary>
internal sealed class ConsensusObserver
{
    private readonly ConsensusStateMachine _machine;
    private readonly TimeProvider _time;
    private readonly IConsensusMetrics? _metrics;
    private ConsensusStatus _status = ConsensusStatus.NotStarted;
    private long _stepSince;
    private long _roundSince;
    private bool _started;
    private ConsensusEvent? _handling;
    private long _proposalsSent;

    public ConsensusObserver(ConsensusStateMachine machine, TimeProvider time, IConsensusMetrics? metrics)
    {
        _machine = machine;
        _time = time;
        _metrics = metrics;
        // Duplicates are counted by the machine's intake, on the loop thread while it handles the vote.
        if (metrics is not null) machine.Intake.Dropped += OnDropped;
    }

    /// <summary>The last published status (any thread).</summary>
    public ConsensusStatus Status => Volatile.Read(ref _status);

    /// <summary>Before the machine handles <paramref name="e"/>: notes what only the event says (a late vote, a peer's height).</summary>
    public void Before(ConsensusEvent e)
    {
        _handling = e;
        switch (e)
        {
            // The machine judges the shape; a vote or proposal it cannot use is skipped here, not thrown on.
            case VoteReceived { Vote: { } vote } v:
                if (vote.Height < _machine.Height || (vote.Height == _machine.Height && vote.Round < _machine.Round)) _metrics?.LateVote();
                SeenAt(v.From, vote.Height);
                break;
            case ProposalReceived { Proposal: { } proposal } p: SeenAt(p.From, proposal.Height); break;
            // A peer asking for block h has committed h - 1 and works at h.
            case BlockRequested r: SeenAt(r.From, r.Height); break;
        }
    }

    /// <summary>After the machine handled an event (or started): reports what changed and publishes the new status.</summary>
    public void After()
    {
        _handling = null;
        var now = _time.GetTimestamp();
        var old = _status;
        var (height, round, step) = (_machine.Height, _machine.Round, _machine.Step);
        if (!_started)
        {
            _started = true;
            _stepSince = _roundSince = now;
        }
        else if (height != old.Height || round != old.Round || step != old.Step)
        {
            _metrics?.StepEnded(old.Step, _time.GetElapsedTime(_stepSince, now));
            _stepSince = now;
            if (height != old.Height || round != old.Round)
            {
                _metrics?.RoundEnded(_time.GetElapsedTime(_roundSince, now));
                _roundSince = now;
            }

            if (height != old.Height && old.Height != 0) _metrics?.HeightDecided(old.Height, old.Round + 1);
        }

        var transfer = _machine.Transfer;
        if (transfer.Sent != _proposalsSent)
        {
            _proposalsSent = transfer.Sent;
            _metrics?.ProposalSent(transfer.LastBytes, transfer.LastCapBytes, transfer.BytesPerSecond, transfer.Missed);
        }

        Publish(old with
        {
            Height = height,
            Round = round,
            Step = step,
            BufferedMessages = _machine.BufferedMessages,
            HeldBlocks = _machine.HeldBlocks,
            HeldBlockBytes = _machine.HeldBlockBytes,
            BlocksFetchedAhead = _machine.BlocksFetchedAhead,
        });
    }

    private void SeenAt(PublicKey peer, ulong height)
    {
        var old = _status;
        if (old.PeerHeights.TryGetValue(peer, out var known) && known >= height) return;
        // Only validators' messages reach here (the transport authenticates them): the map stays as small as the set.
        Publish(old with { PeerHeights = old.PeerHeights.SetItem(peer, height) });
        _metrics?.PeerHeight(peer, height);
    }

    private void Publish(ConsensusStatus next)
    {
        if (next != _status) Volatile.Write(ref _status, next);
    }

    private void OnDropped(PublicKey peer, DropReason reason)
    {
        if (reason == DropReason.Duplicate && _handling is VoteReceived) _metrics?.DuplicateVote();
    }
}
