namespace Dkms.Adversary;

/// <summary>How the adversary attacks.</summary>
public enum AttackMode
{
    /// <summary>Mutated, forged, relayed and replayed messages of every kind, mixed (the default).</summary>
    Fuzz,
    /// <summary>Many validly signed messages for heights and rounds far ahead, and block requests: work and memory before any progress.</summary>
    Flood,
    /// <summary>The honest validators' own messages sent back to them: verbatim, duplicated, reordered, from old heights.</summary>
    Replay,
    /// <summary>Issue 16 (1): proposals, votes and block responses of the current height with nil or missing nested fields.</summary>
    Malformed,
    /// <summary>Issue 16 (2): unsigned and big far-future proposals and votes, duplicated votes, equivocations: work and memory before authentication.</summary>
    FarFuture,
    /// <summary>Issue 16 (3): its own valid block sent to one validator with other transactions under the same signed header, and as an unrequested catch-up answer.</summary>
    Poison,
    /// <summary>Issue 16 (7): its own valid block with one transaction more than the genesis allows.</summary>
    BigBlock,

    /// <summary>Issue 16 (4), no validator key: a host off the path forwards two validators' handshakes to each other
    /// and injects frames (<see cref="OffPath.RelayAttack"/>).</summary>
    Relay,

    /// <summary>Issue 16 (5), no validator key: connection requests that never finish and junk handshakes from many
    /// source addresses (<see cref="OffPath.ConnectFloodAttack"/>).</summary>
    ConnectFlood,
}

/// <summary>Which generator made a message (counted in the report).</summary>
public enum Strategy
{
    /// <summary>A message seen from an honest validator, mutated (<see cref="Fuzzing.Mutator"/>).</summary>
    MutateObserved,
    /// <summary>A message built by the adversary, then mutated.</summary>
    MutateForged,
    /// <summary>Votes signed with the validator key: any type, height, round and block, double votes included.</summary>
    SignedVote,
    /// <summary>Proposals signed with the validator key in its own rounds, of blocks wrong in one way or another.</summary>
    SignedProposal,
    /// <summary>An honest proposal relayed with other transactions (the signature covers the header only).</summary>
    AlteredRelay,
    /// <summary>A block response nobody asked for, with a certificate from honest precommits and the adversary's.</summary>
    UnsolicitedResponse,
    /// <summary>An honest message passed on verbatim to another validator.</summary>
    Relay,
    /// <summary>One message sent many times.</summary>
    Duplicate,
    /// <summary>A run of messages sent in shuffled order.</summary>
    Reorder,
    /// <summary>Block requests for heights that exist, do not exist or cannot exist.</summary>
    BlockRequest,
    /// <summary>Transaction gossip (mempool channel): mutated batches, garbage, oversized lists.</summary>
    Gossip,
    /// <summary>Validly signed votes and big proposals for heights far ahead (buffered by a node before it can check them).</summary>
    FutureFlood,
    /// <summary>A message above the nodes' size limit.</summary>
    Oversized,
    /// <summary>A proposal, vote or block response of the current height with a nested field nil or missing.</summary>
    MalformedNested,
    /// <summary>Proposals (big ones among them) and votes for heights ahead whose signatures do not verify.</summary>
    FutureUnsigned,
    /// <summary>One validly signed vote of the current height sent many times.</summary>
    DuplicateVotes,
    /// <summary>Two different votes of the adversary's for one round and type, for many rounds.</summary>
    Equivocation,
    /// <summary>The adversary's own valid proposal with its votes, one validator getting other transactions under the same header.</summary>
    PoisonTurn,
    /// <summary>The altered block of a <see cref="PoisonTurn"/> as a catch-up answer nobody asked for, with a valid certificate.</summary>
    PoisonResponse,
    /// <summary>The adversary's own valid proposal of more transactions than the genesis allows, with its votes.</summary>
    BigBlockTurn,
}

public sealed record CampaignOptions
{
    public AttackMode Mode { get; init; } = AttackMode.Fuzz;

    /// <summary>Messages to send (one message to one validator counts one).</summary>
    public long Messages { get; init; } = 100_000;

    /// <summary>Seeds every choice the adversary makes. What it has observed depends on timing, so two runs with one
    /// seed make the same choices only as long as they observed the same messages.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Messages per second at most; 0 sends as fast as the generators go.</summary>
    public int Rate { get; init; } = 2_000;

    /// <summary>Stops after this long even if fewer messages were sent (null: no limit).</summary>
    public TimeSpan? Duration { get; init; }

    /// <summary>With no honest validator connected for this long, the campaign ends (its report says so).</summary>
    public TimeSpan DisconnectedTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Largest message the nodes accept (the adversary sends a few above it).</summary>
    public int NodeMaxMessageBytes { get; init; } = 8 * 1024 * 1024;
}
