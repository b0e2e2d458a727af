using Dkms.Core.Blocks;

namespace Dkms.Consensus;

/// <summary>Engine settings. Durations grow with the round as base + round * increment (paper §3: timeouts
/// must grow so that eventually they exceed the unknown message delay).</summary>
public sealed record ConsensusOptions
{
    public required string ChainId { get; init; }

    public TimeSpan TimeoutPropose { get; init; } = TimeSpan.FromMilliseconds(300);
    public TimeSpan TimeoutProposeIncrement { get; init; } = TimeSpan.FromMilliseconds(100);
    public TimeSpan TimeoutPrevote { get; init; } = TimeSpan.FromMilliseconds(100);
    public TimeSpan TimeoutPrevoteIncrement { get; init; } = TimeSpan.FromMilliseconds(50);
    public TimeSpan TimeoutPrecommit { get; init; } = TimeSpan.FromMilliseconds(100);
    public TimeSpan TimeoutPrecommitIncrement { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>How long a proposer waits after a round starts to gather a batch (tens of ms).</summary>
    public TimeSpan BatchDelay { get; init; } = TimeSpan.FromMilliseconds(20);

    /// <summary>What a valid block may hold: the chain's rule (genesis parameters), the same on every validator. A block
    /// over it is refused whoever proposed it.</summary>
    public BlockLimits Limits { get; init; } = new(1000, 4 * 1024 * 1024);

    /// <summary>Most transactions / bytes in a block this node proposes (a local choice; never above <see cref="Limits"/>,
    /// and without effect on what it accepts from others).</summary>
    public int MaxBlockTransactions { get; init; } = 1000;
    public int MaxBlockBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>Share of the propose timeout that building this node's proposal may take (<see cref="ExecutionPace"/>):
    /// the proposer caps its block by the measured execution time per transaction so that the proposal reaches the
    /// validators before their propose timeout, the rest being left for transfer and load. Local, like
    /// <see cref="MaxBlockTransactions"/>; zero turns the cap off.</summary>
    public double ProposeExecutionShare { get; init; } = 0.5;

    /// <summary>When false an idle chain waits for transactions instead of committing empty blocks.</summary>
    public bool CreateEmptyBlocks { get; init; }

    /// <summary>
    /// With <see cref="CreateEmptyBlocks"/> false: how long an idle height waits before it commits an empty block
    /// anyway (zero: never). A verifying client refuses a "latest" answer whose certified block time is older than its
    /// freshness bound, so an idle chain must still certify its time now and then.
    /// </summary>
    public TimeSpan IdleBlockInterval { get; init; }

    /// <summary>A block timestamp may be at most this far ahead of the validator's clock, else it votes nil.</summary>
    public TimeSpan MaxClockDrift { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Period of re-sending this node's proposal and votes of the current height (covers lost messages).</summary>
    public TimeSpan RebroadcastInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How long messages of the next height may be seen before asking peers for the missed block.</summary>
    public TimeSpan CatchUpDelay { get; init; } = TimeSpan.FromMilliseconds(300);

    /// <summary>Votes for rounds further than this beyond the current round are ignored (bounded memory).</summary>
    public int MaxRoundLookahead { get; init; } = 100;

    /// <summary>Capacity of the engine's event channel.</summary>
    public int EventQueueCapacity { get; init; } = 10_000;

    public TimeSpan ProposeTimeout(int round) => TimeoutPropose + TimeoutProposeIncrement * round;
    public TimeSpan PrevoteTimeout(int round) => TimeoutPrevote + TimeoutPrevoteIncrement * round;
    public TimeSpan PrecommitTimeout(int round) => TimeoutPrecommit + TimeoutPrecommitIncrement * round;
}
