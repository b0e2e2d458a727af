using Dkms.Core.Blocks;
using Dkms.Core.Crypto;
using Dkms.Core.Primitives;

namespace Dkms.Consensus.Tests;

/// <summary>Catch-up with several blocks in flight (docs/consensus.md, "Catch-up"): a node behind asks heights ahead of its
/// sources, holds the answers (only those it asked, bounded by heights and bytes) and takes each one, with every check of
/// a catch-up response, only when its height comes; a forged certificate or a block that does not match its header is
/// dropped and counted then, and the height asked of another source.</summary>
public sealed class CatchUpWindowTests
{
    /// <summary>A chain of <paramref name="heights"/> committed blocks with their certificates, decided by validator 1's
    /// machine from the others' precommits.</summary>
    private static List<(Block Block, CommitCertificate Certificate)> Chain(int heights)
    {
        using var ahead = new Solo(self: 1);
        ahead.Machine.Start();
        for (var h = 1; h <= heights; h++)
        {
            ahead.Time.Advance(TimeSpan.FromMilliseconds(1)); // block times go forward
            var proposal = ahead.ProposalFor(0);
            ahead.Machine.Handle(new ProposalReceived(proposal.Proposer, proposal, null));
            foreach (var i in new[] { 0, 2, 3 }) ahead.Vote(i, VoteType.Precommit, 0, proposal.Block.Hash);
        }

        Assert.Equal((ulong)heights + 1, ahead.Machine.Height);
        return [.. Enumerable.Range(1, heights).Select(h =>
        {
            Assert.True(ahead.App.TryGetCommitted((ulong)h, out var b, out var c));
            return (b, c);
        })];
    }

    private static List<(PublicKey Peer, ulong Height)> Requests(IEnumerable<ConsensusAction> actions) =>
        [.. actions.OfType<SendAction>().Select(s => (s.Peer, Core.Encoding.Codec.Decode<ConsensusMessage>(s.Message)))
            .Where(x => x.Item2.Kind == MessageKind.BlockRequest).Select(x => (x.Peer, x.Item2.Height))];

    /// <summary>Takes held blocks (the zero-delay timeout the machine schedules for each) until none is held for its height.</summary>
    private static void TakeHeld(Solo solo)
    {
        for (var i = 0; i < 100 && solo.Machine.HeldBlocks > 0; i++)
        {
            var before = solo.Machine.Height;
            solo.Fire(TimeoutKind.CatchUpNext, 0);
            if (solo.Machine.Height == before) break;
        }
    }

    [Fact]
    public void An_observer_asks_heights_ahead_of_its_sources_and_takes_the_answers_in_height_order()
    {
        var chain = Chain(24);
        using var solo = new Solo(self: 0, neverSigns: true);
        solo.Machine.Start();
        var a = solo.Signers[1].PublicKey;
        var b = solo.Signers[2].PublicKey;

        // Two sources: a answers the start's request first, b's answer (the same block) comes after it. A block pushed
        // far ahead proves nothing yet: it makes no source (its sender is asked only for this node's height, as before).
        var hostile = solo.Signers[3].PublicKey;
        Assert.DoesNotContain(Requests(solo.Machine.Handle(new BlockFetched(hostile, chain[23].Block, chain[23].Certificate))), r => r.Peer == hostile && r.Height > 1);
        var asked = Requests(solo.Machine.Handle(new BlockFetched(a, chain[0].Block, chain[0].Certificate)));
        Assert.Equal(2UL, solo.Machine.Height);
        asked.AddRange(Requests(solo.Machine.Handle(new BlockFetched(b, chain[0].Block, chain[0].Certificate))));
        Assert.DoesNotContain(asked, r => r.Peer == hostile);

        // Heights 2.. ahead, spread over both sources, each height once, within the per-peer bound.
        Assert.Contains(asked, r => r.Height > 2);
        Assert.Equal(asked.Count, asked.Select(r => r.Height).Distinct().Count());
        Assert.Contains(asked, r => r.Peer == a);
        Assert.Contains(asked, r => r.Peer == b);
        Assert.All(asked.Where(r => r.Height > 2).GroupBy(r => r.Peer), g => Assert.True(g.Count() <= IntakeBounds.CatchUpInFlightPerPeer));
        Assert.True(asked.Max(r => r.Height) <= 2 + (ulong)IntakeBounds.CatchUpLookahead);

        // The answers come in reverse order: each is held until its height comes, then taken in order.
        foreach (var (peer, height) in asked.Where(r => r.Height > 2).OrderByDescending(r => r.Height))
        {
            solo.Machine.Handle(new BlockFetched(peer, chain[(int)height - 1].Block, chain[(int)height - 1].Certificate));
        }

        Assert.Equal(2UL, solo.Machine.Height);
        Assert.True(solo.Machine.HeldBlocks > 0);
        var owner2 = asked.FirstOrDefault(r => r.Height == 2).Peer;
        solo.Machine.Handle(new BlockFetched(owner2 == default ? a : owner2, chain[1].Block, chain[1].Certificate));
        TakeHeld(solo);
        var top = asked.Max(r => r.Height);
        Assert.Equal(top + 1, solo.Machine.Height);
        for (var h = 1UL; h < solo.Machine.Height; h++)
        {
            Assert.True(solo.App.TryGetCommitted(h, out var mine, out _));
            Assert.Equal(chain[(int)h - 1].Block.Hash, mine.Hash);
        }
    }

    [Fact]
    public void Blocks_no_one_asked_for_far_and_many_heights_are_dropped_and_counted_never_held()
    {
        var chain = Chain(40);
        using var solo = new Solo(self: 0, neverSigns: true);
        solo.Machine.Start();
        var a = solo.Signers[1].PublicKey;
        var hostile = solo.Signers[3].PublicKey;
        var actions = solo.Machine.Handle(new BlockFetched(a, chain[0].Block, chain[0].Certificate));
        var asked = Requests(actions).Where(r => r.Height > 2).ToList();
        Assert.NotEmpty(asked);

        // A peer sends every block of the chain unasked, twice; then answers heights asked of another peer.
        for (var round = 0; round < 2; round++)
        {
            foreach (var (block, certificate) in chain.Skip(2)) solo.Machine.Handle(new BlockFetched(hostile, block, certificate));
        }

        Assert.Equal(0, solo.Machine.HeldBlocks);
        Assert.Equal(2 * 38, solo.Machine.Intake[hostile, DropReason.OutOfWindow]);

        // A block whose certificate names another height than the one asked is not held either.
        var (p, h) = asked[0];
        var other = chain[(int)h];
        solo.Machine.Handle(new BlockFetched(p, chain[(int)h - 1].Block, other.Certificate));
        Assert.Equal(0, solo.Machine.HeldBlocks);
        Assert.Equal(2UL, solo.Machine.Height);
    }

    [Fact]
    public void A_forged_certificate_for_a_held_height_is_dropped_and_counted_when_its_height_comes_and_the_height_asked_elsewhere()
    {
        var chain = Chain(4);
        using var solo = new Solo(self: 0, neverSigns: true);
        solo.Machine.Start();
        var a = solo.Signers[1].PublicKey;
        var b = solo.Signers[2].PublicKey;
        var asked = Requests(solo.Machine.Handle(new BlockFetched(a, chain[0].Block, chain[0].Certificate)));
        asked.AddRange(Requests(solo.Machine.Handle(new BlockFetched(b, chain[0].Block, chain[0].Certificate)))); // b is a source too
        var (peer3, _) = asked.Single(r => r.Height == 3);

        // The asked peer answers height 3 with a certificate signed by keys outside the set.
        var outsiders = Enumerable.Range(50, 4).Select(i => Ed25519Signer.FromSeed(TestNet.Seed(i))).ToArray();
        CommitCertificate forged;
        try
        {
            forged = CommitCertificate.FromPrecommits(3, 0, chain[2].Block.Hash,
                outsiders.Select(k => Vote.Create(k, TestNet.ChainId, VoteType.Precommit, 3, 0, chain[2].Block.Hash)));
        }
        finally
        {
            foreach (var k in outsiders) k.Dispose();
        }

        solo.Machine.Handle(new BlockFetched(peer3, chain[2].Block, forged));
        Assert.Equal(1, solo.Machine.HeldBlocks); // not checkable before its height: held
        var owner2 = asked.Single(r => r.Height == 2).Peer;
        solo.Machine.Handle(new BlockFetched(owner2, chain[1].Block, chain[1].Certificate));
        Assert.Equal(3UL, solo.Machine.Height);
        var retry = Requests(solo.Fire(TimeoutKind.CatchUpNext, 0));

        Assert.Equal(1, solo.Machine.Intake[peer3, DropReason.BadCertificate]);
        Assert.Equal(3UL, solo.Machine.Height);
        Assert.Equal(2UL, solo.App.Tip.Height);
        var again = Assert.Single(retry, r => r.Height == 3);
        Assert.NotEqual(peer3, again.Peer);

        // The other source's real block 3 is taken.
        solo.Machine.Handle(new BlockFetched(again.Peer, chain[2].Block, chain[2].Certificate));
        Assert.Equal(4UL, solo.Machine.Height);
    }

    [Fact]
    public void A_held_block_that_does_not_match_its_header_is_dropped_and_counted_and_never_committed()
    {
        var chain = Chain(3);
        using var solo = new Solo(self: 0, neverSigns: true);
        solo.Machine.Start();
        var a = solo.Signers[1].PublicKey;
        var asked = Requests(solo.Machine.Handle(new BlockFetched(a, chain[0].Block, chain[0].Certificate)));
        Assert.Contains(asked, r => r.Height == 3 && r.Peer == a);

        // Height 3's header and certificate, with a transaction the header does not commit to.
        var tampered = new Block(chain[2].Block.Header, [new byte[] { 1, 2, 3 }]);
        solo.Machine.Handle(new BlockFetched(a, tampered, chain[2].Certificate));
        Assert.Equal(1, solo.Machine.HeldBlocks);
        solo.Machine.Handle(new BlockFetched(a, chain[1].Block, chain[1].Certificate));
        solo.Fire(TimeoutKind.CatchUpNext, 0);

        Assert.Equal(1, solo.Machine.Intake[a, DropReason.TamperedBlock]);
        Assert.Equal(3UL, solo.Machine.Height);
        Assert.Equal(2UL, solo.App.Tip.Height);
        Assert.Equal(0, solo.Machine.HeldBlocks);
    }

    [Fact]
    public void Held_blocks_stay_within_the_byte_budget_the_rest_is_dropped_and_counted()
    {
        var limits = new BlockLimits(1000, 64 * 1024);
        var chain = Chain(2);
        using var solo = new Solo(self: 0, o => o with { Limits = limits }, neverSigns: true);
        solo.Machine.Start();
        var a = solo.Signers[1].PublicKey;
        var asked = Requests(solo.Machine.Handle(new BlockFetched(a, chain[0].Block, chain[0].Certificate))).Where(r => r.Height > 2).ToList();
        Assert.True(asked.Count >= 4);

        // Each answer as large as a block may be (its transactions are checked only when its height comes).
        var budget = IntakeBounds.CatchUpHeldLargestMessages * IntakeBounds.MaxMessageBytes(limits);
        foreach (var (peer, height) in asked)
        {
            var h = chain[1].Block.Header;
            var big = new Block(new BlockHeader(h.ChainId, height, 0, h.PreviousHash, h.TransactionRoot, h.StateRoot, h.Proposer, h.TimestampMs),
                [new byte[limits.MaxBytes - 64]]);
            solo.Machine.Handle(new BlockFetched(peer, big, new CommitCertificate(height, 0, big.Hash, chain[1].Certificate.Signatures)));
            Assert.True(solo.Machine.HeldBlockBytes <= budget, $"{solo.Machine.HeldBlockBytes} bytes held, budget {budget}");
        }

        Assert.True(solo.Machine.Intake[a, DropReason.BufferFull] > 0);
        Assert.True(solo.Machine.HeldBlocks < asked.Count);
    }

    [Fact]
    public void Requests_ahead_to_one_peer_stay_within_its_budget_per_catch_up_delay()
    {
        var chain = Chain(60);
        using var solo = new Solo(self: 0, neverSigns: true);
        solo.Machine.Start();
        var a = solo.Signers[1].PublicKey;
        var sent = new List<(PublicKey Peer, ulong Height)>();
        var ahead = 0; // requests for heights after the one the node was at: the window's
        void Note(IEnumerable<ConsensusAction> actions)
        {
            var asked = Requests(actions);
            sent.AddRange(asked);
            ahead += asked.Count(r => r.Height > solo.Machine.Height);
        }

        Note(solo.Machine.Handle(new BlockFetched(a, chain[0].Block, chain[0].Certificate)));

        // a answers everything at once, in order, without the clock moving: one catch-up delay.
        for (var i = 0; i < 100 && solo.Machine.Height <= 60; i++)
        {
            var height = solo.Machine.Height;
            var next = sent.Where(r => r.Height >= height && !solo.App.TryGetCommitted(r.Height, out _, out _)).Select(r => r.Height).Distinct().ToList();
            if (next.Count == 0) break;
            foreach (var h in next) Note(solo.Machine.Handle(new BlockFetched(a, chain[(int)h - 1].Block, chain[(int)h - 1].Certificate)));
            TakeHeld(solo);
        }

        Assert.True(ahead <= IntakeBounds.CatchUpRequestsPerPeerPerCatchUpDelay, $"{ahead} requests ahead to one peer within one catch-up delay");
        Assert.True(ahead > IntakeBounds.CatchUpInFlightPerPeer, $"only {ahead} requests ahead");
        Assert.True(solo.Machine.Height > 10);
    }

    [Fact]
    public void A_source_that_left_heights_ahead_unanswered_is_asked_only_what_it_has_shown_for_a_while()
    {
        var chain = Chain(3);
        using var solo = new Solo(self: 0, neverSigns: true);
        solo.Machine.Start();
        var a = solo.Signers[1].PublicKey;
        var asked = Requests(solo.Machine.Handle(new BlockFetched(a, chain[0].Block, chain[0].Certificate)));
        Assert.Contains(asked, r => r.Height > 3); // it asked beyond what a has (a node at the frontier does not know)

        // Nothing comes for a catch-up delay: the requests are given up, and a is not asked past what it has shown.
        solo.Time.Advance(solo.Options.CatchUpDelay);
        var again = Requests(solo.Fire(TimeoutKind.Rebroadcast, 0));
        Assert.DoesNotContain(again, r => r.Peer == a && r.Height > 2);

        // a answers height 2 and pushes 3 (it committed it): it is asked up to what it showed, not beyond.
        solo.Machine.Handle(new BlockFetched(a, chain[2].Block, chain[2].Certificate));
        var next = Requests(solo.Machine.Handle(new BlockFetched(a, chain[1].Block, chain[1].Certificate)));
        Assert.DoesNotContain(next, r => r.Height > 3);
        Assert.Equal(3UL, solo.Machine.Height);
    }
}
