using Dkms.Core.Blocks;

namespace Dkms.Consensus;

/// <summary>
/// The bounds that keep a validator's memory and work finite whatever its peers send (docs/consensus.md, "Memory
/// bound"). Each is sized for what honest validators send, with room to spare; past it a message is dropped, which the
/// protocol tolerates (the sender re-broadcasts, a node behind catches up by block requests).
/// </summary>
public static class IntakeBounds
{
    /// <summary>Heights after the current one whose messages are kept for replay: the next one (a peer that decided
    /// first), and one more (it decided twice while this node was busy). Later heights only trigger catch-up.</summary>
    public const int FutureHeights = 2;

    /// <summary>Proposals of future heights kept per peer: one per future height.</summary>
    public const int FutureProposalsPerPeer = FutureHeights;

    /// <summary>Votes of future heights kept per peer: a prevote and a precommit for several rounds of each future height.</summary>
    public const int FutureVotesPerPeer = 32;

    /// <summary>Proposals are accepted for rounds up to this many beyond the current one (a round's block can be large;
    /// its proposer re-broadcasts it, so one dropped for being early arrives again once the round is reached).</summary>
    public const int ProposalRoundLookahead = 2;

    /// <summary>Catch-up responses for the current height whose certificate is checked, per peer: an honest peer answers
    /// a request at most once per catch-up delay, and the first good answer moves this node on.</summary>
    public const int ResponsesPerPeerPerHeight = 4;

    /// <summary>Bad signatures and tampered blocks from one peer per height before its messages go unverified until the
    /// next height. The transport authenticates the sender and a validator speaks only for itself, so each one proves
    /// that peer misbehaves; a few are allowed for a peer whose keys changed with the validator set.</summary>
    public const int StrikesPerPeerPerHeight = 16;

    /// <summary>Committed blocks served to one peer per catch-up delay, by count and by bytes (in messages of the
    /// largest size). Each answer costs this node a block read, decoded and re-encoded on the consensus thread for a
    /// request of a few bytes, so a peer gets a bounded number per delay. The count must stay above the chain's block
    /// rate under load (small blocks, many heights a second), or a node that fell behind could never catch up: a node
    /// catching up asks for the next block only once it has the previous one, and asks every peer that is ahead. The
    /// byte budget is what bounds the cost of big blocks; past either it waits for the next window.</summary>
    public const int ServedBlocksPerPeerPerCatchUpDelay = 32;
    public const int ServedLargestMessagesPerPeerPerCatchUpDelay = 2;

    /// <summary>Catch-up with several blocks in flight (<see cref="CatchUpWindow"/>): heights from the current one asked
    /// ahead and held, heights in flight per peer, requests per peer and catch-up delay (half of
    /// <see cref="ServedBlocksPerPeerPerCatchUpDelay"/>, which the peer enforces in windows of its own: any of its windows
    /// overlaps at most two of ours, so pacing loses no request), and the bytes of blocks held (in messages of the
    /// largest size).</summary>
    public const int CatchUpLookahead = 16;
    public const int CatchUpInFlightPerPeer = 8;
    public const int CatchUpRequestsPerPeerPerCatchUpDelay = ServedBlocksPerPeerPerCatchUpDelay / 2;
    public const int CatchUpHeldLargestMessages = 2;

    /// <summary>Events from one peer waiting in the engine's queue, by count and by bytes (in messages of the largest size).</summary>
    public const int QueuedMessagesPerPeer = 1000;
    public const int QueuedLargestMessagesPerPeer = 3;

    /// <summary>Equivocation evidence kept until taken (<see cref="ConsensusStateMachine.TakeEvidence"/>); the oldest goes first.</summary>
    public const int MaxEvidence = 64;

    /// <summary>Peers tracked for lagging-peer detection and block serving before the tables are reset.</summary>
    public const int MaxTrackedPeers = 1024;

    /// <summary>Largest encoded consensus message a chain with <paramref name="limits"/> can need: a block response of
    /// a full block (transactions, their per-item framing, header and certificate).</summary>
    public static long MaxMessageBytes(BlockLimits limits) => limits.MaxBytes + 8L * limits.MaxTransactions + 64 * 1024;
}
