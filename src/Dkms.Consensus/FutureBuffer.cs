using Dkms.Core.Primitives;

namespace Dkms.Consensus;

/// <summary>
/// Proposals and votes of the next <see cref="IntakeBounds.FutureHeights"/> heights, kept for replay once this node
/// gets there. Only messages already checked (sender is the signer and a validator, signature valid, block bound to its
/// header) are added; each peer has its own share, and a message already held is not checked again.
/// </summary>
internal sealed class FutureBuffer
{
    private readonly Dictionary<PublicKey, Share> _byPeer = new();

    /// <summary>Messages held.</summary>
    public int Count { get; private set; }

    /// <summary>Messages held from <paramref name="peer"/>.</summary>
    public int CountOf(PublicKey peer) => _byPeer.TryGetValue(peer, out var s) ? s.Messages.Count : 0;

    /// <summary>Bytes of proposed transactions held.</summary>
    public long TransactionBytes { get; private set; }

    /// <summary>Kind 0 is a proposal, otherwise the vote type.</summary>
    public bool Contains(PublicKey peer, ulong height, int round, byte kind) =>
        _byPeer.TryGetValue(peer, out var s) && s.Messages.ContainsKey((height, round, kind));

    public bool HasRoom(PublicKey peer, bool proposal) =>
        !_byPeer.TryGetValue(peer, out var s)
        || (proposal ? s.Proposals < IntakeBounds.FutureProposalsPerPeer : s.Messages.Count - s.Proposals < IntakeBounds.FutureVotesPerPeer);

    public void Add(PublicKey peer, ulong height, int round, byte kind, ConsensusEvent e)
    {
        if (!_byPeer.TryGetValue(peer, out var s)) _byPeer[peer] = s = new Share();
        if (!s.Messages.TryAdd((height, round, kind), e)) return;
        Count++;
        if (e is ProposalReceived p)
        {
            s.Proposals++;
            TransactionBytes += p.Proposal.Block.TransactionBytes;
        }
    }

    /// <summary>Everything held, in arrival order per peer; the buffer is empty afterwards.</summary>
    public List<ConsensusEvent> TakeAll()
    {
        var all = _byPeer.Values.SelectMany(s => s.Messages.Values).ToList();
        _byPeer.Clear();
        Count = 0;
        TransactionBytes = 0;
        return all;
    }

    private sealed class Share
    {
        public readonly Dictionary<(ulong Height, int Round, byte Kind), ConsensusEvent> Messages = new();
        public int Proposals;
    }
}
