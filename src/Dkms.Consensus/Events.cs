using Dkms.Core.Blocks;
using Dkms.Core.Primitives;

namespace Dkms.Consensus;

/// <summary>An input of the state machine.</summary>
public abstract record ConsensusEvent;

/// <summary>A proposal; <paramref name="Justification"/>: the prevotes of its valid round that came with it
/// (<see cref="ConsensusMessage.Justification"/>).</summary>
public sealed record ProposalReceived(PublicKey From, Proposal Proposal, Vote[]? Justification = null) : ConsensusEvent;

/// <summary>A vote; <paramref name="Justification"/>: the precommits of the round before it that came with it
/// (<see cref="ConsensusMessage.Justification"/>).</summary>
public sealed record VoteReceived(PublicKey From, Vote Vote, Vote[]? Justification = null) : ConsensusEvent;

public sealed record TimeoutFired(ConsensusTimeout Timeout) : ConsensusEvent;

/// <summary>A committed block with its certificate arrived from a peer (catch-up).</summary>
public sealed record BlockFetched(PublicKey From, Block Block, CommitCertificate Certificate) : ConsensusEvent;

public sealed record BlockRequested(PublicKey From, ulong Height) : ConsensusEvent;

/// <summary>An authenticated session with <paramref name="Peer"/> opened (at start, or after it was down): tell it this
/// node's height.</summary>
public sealed record PeerConnected(PublicKey Peer) : ConsensusEvent;

/// <summary>The session with <paramref name="Peer"/> closed: while it is down, a round it proposes is not waited for.</summary>
public sealed record PeerDisconnected(PublicKey Peer) : ConsensusEvent;

/// <summary>The mempool gained transactions (wakes an idle chain).</summary>
public sealed record TransactionsAvailable : ConsensusEvent;

public enum TimeoutKind : byte
{
    /// <summary>OnTimeoutPropose, lines 57-60.</summary>
    Propose,
    /// <summary>OnTimeoutPrevote, lines 61-64.</summary>
    Prevote,
    /// <summary>OnTimeoutPrecommit, lines 65-67.</summary>
    Precommit,
    /// <summary>The proposer's batching window ended: build the proposal (line 18).</summary>
    ProposeBatch,
    Rebroadcast,
    CatchUp,
    /// <summary>An idle height has waited <see cref="ConsensusOptions.IdleBlockInterval"/>: start it without transactions.</summary>
    IdleBlock,
    /// <summary>Start round 0 of a height entered by deciding the one before inside the same event: the machine hands
    /// control back to its event queue first (a validator that decides alone would otherwise run height after height
    /// inside one call).</summary>
    StartHeight,
    /// <summary>A block fetched ahead is held for the height just entered: take it (an event per height, so the loop
    /// handles what else waits between two blocks).</summary>
    CatchUpNext,
    /// <summary>A catch-up request budget of a source opened again: ask what it held back.</summary>
    CatchUpAsk,
}

public readonly record struct ConsensusTimeout(TimeoutKind Kind, ulong Height, int Round);

/// <summary>An output of the state machine, carried out by a driver.</summary>
public abstract record ConsensusAction;

public sealed record BroadcastAction(byte[] Message) : ConsensusAction;

public sealed record SendAction(PublicKey Peer, byte[] Message) : ConsensusAction;

public sealed record ScheduleTimeoutAction(ConsensusTimeout Timeout, TimeSpan Delay) : ConsensusAction;

/// <summary>Informational: the block was decided and already committed to the application.</summary>
public sealed record CommittedAction(Block Block, CommitCertificate Certificate) : ConsensusAction;

/// <summary>Two conflicting signed votes of one validator at the same height, round and type.</summary>
public sealed record EquivocationEvidence(Vote First, Vote Second);
