using Dkms.Core.Blocks;
using Dkms.Core.Crypto;

namespace Dkms.Consensus.Tests;

/// <summary>Observers at the consensus layer (docs/node.md, "Observers"): an observer's machine never signs, follows blocks
/// pushed to it by asking for the heights it misses, and refuses a forged certificate; what an observer key sends as a
/// validator would is dropped and counted at every height.</summary>
public sealed class ObserverIntakeTests
{
    /// <summary>Drives the machine through height 1 with a proposal and the others' precommits.</summary>
    private static void DecideHeightOne(Solo solo)
    {
        var proposal = solo.ProposalFor(0);
        solo.Machine.Handle(new ProposalReceived(proposal.Proposer, proposal, null));
        foreach (var i in Enumerable.Range(0, 4).Where(i => i != solo.Self)) solo.Vote(i, VoteType.Precommit, 0, proposal.Block.Hash);
        Assert.Equal(2UL, solo.Machine.Height);
    }

    [Fact]
    public void An_observer_key_sending_votes_and_proposals_is_dropped_and_counted_at_every_height()
    {
        using var solo = new Solo(self: 0);
        solo.Machine.Start();
        DecideHeightOne(solo);
        using var observer = Ed25519Signer.FromSeed(TestNet.Seed(40));
        var key = observer.PublicKey;

        foreach (var height in new ulong[] { 1, 2, 3 })
        {
            var vote = Vote.Create(observer, TestNet.ChainId, VoteType.Prevote, height, 0, Core.Primitives.Hash32.Zero);
            var actions = solo.Machine.Handle(new VoteReceived(key, vote));
            Assert.Empty(Solo.Messages(actions));
        }

        // A proposal of the past height, signed by the observer as if it proposed.
        var past = solo.ProposalFor(0);
        var forged = Proposal.Create(observer, TestNet.ChainId, 1, 0, -1, past.Block);
        solo.Machine.Handle(new ProposalReceived(key, forged, null));

        Assert.Equal(4, solo.Machine.Intake[key, DropReason.NotValidator]);
        Assert.Equal(0, solo.Machine.BufferedMessagesOf(key));
        Assert.Equal(2UL, solo.Machine.Height);
    }

    [Fact]
    public void An_observer_machine_never_signs_even_with_its_key_in_the_set()
    {
        var proposer = new Solo(0).Set.Proposer(1, 0);
        using var probe = new Solo(0);
        var self = Enumerable.Range(0, 4).First(i => probe.Signers[i].PublicKey == proposer);
        using var solo = new Solo(self, neverSigns: true);

        var actions = solo.Machine.Start().ToList();
        actions.AddRange(solo.Fire(TimeoutKind.ProposeBatch, 0));
        actions.AddRange(solo.Fire(TimeoutKind.Propose, 0));
        var other = solo.ProposalFor(1); // round 1 has another proposer
        actions.AddRange(solo.Fire(TimeoutKind.Prevote, 0));
        actions.AddRange(solo.Fire(TimeoutKind.Precommit, 0));
        actions.AddRange(solo.Machine.Handle(new ProposalReceived(other.Proposer, other, null)));
        foreach (var i in Enumerable.Range(0, 4).Where(i => i != self))
        {
            actions.AddRange(solo.Vote(i, VoteType.Prevote, other.Round, other.Block.Hash));
            actions.AddRange(solo.Vote(i, VoteType.Precommit, other.Round, other.Block.Hash));
        }

        Assert.Equal(2UL, solo.Machine.Height); // it followed the others' decision
        Assert.Empty(Solo.Votes(actions));
        Assert.DoesNotContain(Solo.Messages(actions), m => m.Kind == MessageKind.Proposal);
        Assert.Empty(solo.Store.Load()?.SignedVotes ?? []);
    }

    [Fact]
    public void A_block_pushed_ahead_of_the_observer_makes_it_ask_that_peer_for_its_own_height()
    {
        using var solo = new Solo(self: 0, neverSigns: true);
        solo.Machine.Start();
        using var ahead = new Solo(self: 1);
        ahead.Machine.Start();
        DecideHeightOne(ahead);
        Assert.True(ahead.App.TryGetCommitted(1, out var block, out var certificate));
        var h = block.Header;
        var later = new Block(new BlockHeader(h.ChainId, 3, h.Round, h.PreviousHash, h.TransactionRoot, h.StateRoot, h.Proposer, h.TimestampMs), block.Transactions);
        var peer = solo.Signers[2].PublicKey;

        var actions = solo.Machine.Handle(new BlockFetched(peer, later, new CommitCertificate(3, certificate.Round, later.Hash, certificate.Signatures)));

        var request = Assert.Single(actions.OfType<SendAction>());
        Assert.Equal(peer, request.Peer);
        var m = Core.Encoding.Codec.Decode<ConsensusMessage>(request.Message);
        Assert.Equal((MessageKind.BlockRequest, 1UL), (m.Kind, m.Height));

        // The block of its height, with its real certificate, is taken.
        solo.Machine.Handle(new BlockFetched(peer, block, certificate));
        Assert.Equal(2UL, solo.Machine.Height);
    }

    [Fact]
    public void A_forged_certificate_from_a_peer_is_refused()
    {
        using var solo = new Solo(self: 0, neverSigns: true);
        solo.Machine.Start();
        var block = solo.ProposalFor(0).Block;
        var outsiders = Enumerable.Range(50, 4).Select(i => Ed25519Signer.FromSeed(TestNet.Seed(i))).ToArray();
        var peer = solo.Signers[1].PublicKey;
        try
        {
            // Signed by keys outside the set the observer verified, then by too few of the set.
            var byOutsiders = CommitCertificate.FromPrecommits(1, 0, block.Hash,
                outsiders.Select(k => Vote.Create(k, TestNet.ChainId, VoteType.Precommit, 1, 0, block.Hash)));
            var byTooFew = CommitCertificate.FromPrecommits(1, 0, block.Hash,
                solo.Signers.Take(2).Select(k => Vote.Create(k, TestNet.ChainId, VoteType.Precommit, 1, 0, block.Hash)));
            solo.Machine.Handle(new BlockFetched(peer, block, byOutsiders));
            solo.Machine.Handle(new BlockFetched(peer, block, byTooFew));
        }
        finally
        {
            foreach (var k in outsiders) k.Dispose();
        }

        Assert.Equal(2, solo.Machine.Intake[peer, DropReason.BadCertificate]);
        Assert.Equal(1UL, solo.Machine.Height);
        Assert.Equal(0UL, solo.App.Tip.Height);
    }
}
