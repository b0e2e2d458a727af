using Dkms.Core.Blocks;
using Dkms.Core.Genesis;

namespace Dkms.Consensus;

/// <summary>Engine settings. Durations grow with the round as base + round * increment (paper §3: timeouts
/// must grow so that eventually they exceed the unknown message delay).</summary>
/// <remarks>The timeouts, the batch delay, the block limits and the empty-block policy have one home: the genesis
/// <see cref="ConsensusParameters"/> (their defaults live there, nowhere else). Build the options with
/// <see cref="FromGenesis"/>; these members are <c>required</c> so that no caller can fall back on a second set of
/// defaults. The remaining members are this node's local engine settings, with their defaults here.</remarks>
public sealed record ConsensusOptions
{
    public required string ChainId { get; init; }

    public required TimeSpan TimeoutPropose { get; init; }
    public required TimeSpan TimeoutProposeIncrement { get; init; }
    public required TimeSpan TimeoutPrevote { get; init; }
    public required TimeSpan TimeoutPrevoteIncrement { get; init; }
    public required TimeSpan TimeoutPrecommit { get; init; }
    public required TimeSpan TimeoutPrecommitIncrement { get; init; }

    /// <summary>How long a proposer waits after a round starts to gather a batch (tens of ms).</summary>
    public required TimeSpan BatchDelay { get; init; }

    /// <summary>What a valid block may hold: the chain's rule (genesis parameters), the same on every validator. A block
    /// over it is refused whoever proposed it.</summary>
    public required BlockLimits Limits { get; init; }

    /// <summary>Most transactions / bytes in a block this node proposes (a local choice; never above <see cref="Limits"/>,
    /// and without effect on what it accepts from others).</summary>
    public required int MaxBlockTransactions { get; init; }
    public required int MaxBlockBytes { get; init; }

    /// <summary>When false an idle chain waits for transactions instead of committing empty blocks.</summary>
    public required bool CreateEmptyBlocks { get; init; }

    /// <summary>
    /// With <see cref="CreateEmptyBlocks"/> false: how long an idle height waits before it commits an empty block
    /// anyway (zero: never). A verifying client refuses a "latest" answer whose certified block time is older than its
    /// freshness bound, so an idle chain must still certify its time now and then.
    /// </summary>
    public required TimeSpan IdleBlockInterval { get; init; }

    /// <summary>The engine settings a chain's genesis parameters give (local settings at their defaults); the only way
    /// the node and the simulations build options, so both run the same timeouts and limits.</summary>
    public static ConsensusOptions FromGenesis(string chainId, ConsensusParameters parameters) => new()
    {
        ChainId = chainId,
        TimeoutPropose = TimeSpan.FromMilliseconds(parameters.TimeoutProposeMs),
        TimeoutProposeIncrement = TimeSpan.FromMilliseconds(parameters.TimeoutProposeIncrementMs),
        TimeoutPrevote = TimeSpan.FromMilliseconds(parameters.TimeoutPrevoteMs),
        TimeoutPrevoteIncrement = TimeSpan.FromMilliseconds(parameters.TimeoutPrevoteIncrementMs),
        TimeoutPrecommit = TimeSpan.FromMilliseconds(parameters.TimeoutPrecommitMs),
        TimeoutPrecommitIncrement = TimeSpan.FromMilliseconds(parameters.TimeoutPrecommitIncrementMs),
        BatchDelay = TimeSpan.FromMilliseconds(parameters.BatchDelayMs),
        Limits = new BlockLimits(parameters.MaxBlockTransactions, parameters.MaxBlockBytes),
        MaxBlockTransactions = parameters.MaxBlockTransactions,
        MaxBlockBytes = parameters.MaxBlockBytes,
        CreateEmptyBlocks = parameters.CreateEmptyBlocks,
        IdleBlockInterval = TimeSpan.FromMilliseconds(parameters.IdleBlockIntervalMs),
    };

    /// <summary>Share of the propose timeout that building this node's proposal may take (<see cref="ExecutionPace"/>):
    /// the proposer caps its block by the measured execution time per transaction so that the proposal reaches the
    /// validators before their propose timeout, the rest being left for transfer and load. Local, like
    /// <see cref="MaxBlockTransactions"/>; zero turns the cap off.</summary>
    public double ProposeExecutionShare { get; init; } = 0.5;

    /// <summary>Share of the propose timeout that the transfer of this node's proposal may take (<see cref="TransferPace"/>):
    /// once a proposal of this node missed its round, the proposer caps the bytes of its blocks by the measured rate at
    /// which its proposals reach a quorum times this share of the round's propose timeout. Local; zero turns it off.</summary>
    public double ProposeTransferShare { get; init; } = 0.5;

    /// <summary>The transfer cap never goes below this many bytes (progress on any link: the propose timeout grows per
    /// round), and a missed proposal smaller than it does not count as a measurement (it says nothing about bandwidth).</summary>
    public int ProposeTransferMinBytes { get; init; } = 64 * 1024;

    /// <summary>A block timestamp may be at most this far ahead of the validator's clock, else it votes nil.</summary>
    public TimeSpan MaxClockDrift { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Period of re-sending this node's proposal and votes of the current height (covers lost messages).</summary>
    public TimeSpan RebroadcastInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Whether the periodic re-send includes this node's proposal. Needed over a transport that may lose a
    /// message within a session (the simulations'). Over a reliable session (the node's P2P channel) a proposal sent
    /// once arrives unless the session breaks, and a session that opens again is answered by the height announcement
    /// (the peer asks, and is served the proposal and votes): re-sending a block of megabytes every interval only
    /// queues copies on a slow link ahead of the votes that decide it. Votes are always re-sent (they are small).
    /// Local to the node: it depends on the transport, not on the chain.</summary>
    public bool RebroadcastProposal { get; init; } = true;

    /// <summary>How long messages of the next height may be seen before asking peers for the missed block.</summary>
    public TimeSpan CatchUpDelay { get; init; } = TimeSpan.FromMilliseconds(300);

    /// <summary>Votes for rounds further than this beyond the current round are ignored (bounded memory).</summary>
    public int MaxRoundLookahead { get; init; } = 100;

    /// <summary>Capacity of the engine's event channel (events: proposals, votes, timeouts, commands); a full channel makes
    /// network receivers wait, never drops an event.</summary>
    public int EventQueueCapacity { get; init; } = 10_000;

    public TimeSpan ProposeTimeout(int round) => TimeoutPropose + TimeoutProposeIncrement * round;
    public TimeSpan PrevoteTimeout(int round) => TimeoutPrevote + TimeoutPrevoteIncrement * round;
    public TimeSpan PrecommitTimeout(int round) => TimeoutPrecommit + TimeoutPrecommitIncrement * round;
}
