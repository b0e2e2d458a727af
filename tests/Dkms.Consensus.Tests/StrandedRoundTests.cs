using Dkms.Core.Blocks;
using Dkms.Core.Primitives;

namespace Dkms.Consensus.Tests;

/// <summary>
/// A Byzantine validator shows its precommit to one honest validator only. That one then sees 2f+1 precommits of the
/// round and moves to the next round — possibly without having precommitted in it (it arrived late) — while the other
/// two honest validators hold only their own two precommits and wait in the old round for a third that no honest
/// validator will ever sign. Nothing relays another validator's vote, and one validator in the new round is not the
/// f+1 that would pull them along (line 55), so without a justification of the round change the height never ends:
/// found by the fuzz campaign (issue 18's CI run), where the adversary sends signed votes to random peers.
/// </summary>
public sealed class StrandedRoundTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void A_precommit_shown_to_one_honest_validator_does_not_strand_the_others_in_the_round_it_left(int seed)
    {
        using var net = new TestNet(4, seed, start: false);
        var (key, transport, honest, early, late) = TwoPrecommittedNil(net);
        net.Run(TimeSpan.FromSeconds(5));
        Assert.All(early, i => Assert.Equal((1UL, 0), (net.Drivers[i]!.Machine.Height, net.Drivers[i]!.Machine.Round)));

        // The third honest validator arrives; the adversary shows it alone its nil precommit of round 0.
        net.Start(late);
        transport.Send(net.Signers[late].PublicKey, ConsensusMessage.Encode(Vote.Create(key, TestNet.ChainId, VoteType.Precommit, 1, 0, Hash32.Zero)));

        Assert.True(net.RunUntilHeight(3, TimeSpan.FromSeconds(60), honest), "the honest validators did not reach height 3: " + net.Describe());
        net.AssertNoFork(honest);
        net.AssertNoDoubleSigning(honest);
    }

    [Fact]
    public void A_forged_precommit_carried_by_a_vote_is_not_counted_and_is_a_strike_against_the_validator_that_sent_it()
    {
        using var net = new TestNet(4, 1, start: false);
        var (key, transport, _, early, absent) = TwoPrecommittedNil(net);

        // Its own round-1 prevote, carrying a precommit in the absent validator's name with a signature of its own making:
        // counted with the early ones' two it would be 2f+1 precommits of round 0.
        var forged = new Vote(VoteType.Precommit, 1, 0, Hash32.Zero, net.Signers[absent].PublicKey, key.Sign(new byte[] { 1, 2, 3 }).ToArray());
        var carrier = Vote.Create(key, TestNet.ChainId, VoteType.Prevote, 1, 1, Hash32.Zero);
        foreach (var i in early) transport.Send(net.Signers[i].PublicKey, ConsensusMessage.Encode(carrier, [forged]));
        net.Run(TimeSpan.FromSeconds(10));

        foreach (var i in early)
        {
            var machine = net.Drivers[i]!.Machine;
            Assert.Equal((1UL, 0), (machine.Height, machine.Round)); // three precommits counted would have ended round 0
            Assert.True(net.Drivers[i]!.Intake[key.PublicKey, DropReason.BadSignature] >= 1, $"node {i} did not count the forged precommit against its sender");
        }
    }

    /// <summary>Height 1 round 0 with two honest validators running and the third not started: the adversary holds the
    /// seat that proposes it and proposes nothing, and shows its nil prevote to the two running ones only — with theirs
    /// it is 2f+1 nil, so they precommit nil and wait there with their own two precommits.</summary>
    private static (Core.Crypto.Ed25519Signer Key, ITransport Transport, int[] Honest, int[] Early, int Third) TwoPrecommittedNil(TestNet net)
    {
        var adversary = Array.FindIndex(net.Signers, s => s.PublicKey == net.Genesis.Proposer(1, 0));
        var honest = Enumerable.Range(0, 4).Where(i => i != adversary).ToArray();
        var early = honest[..2];
        var key = net.Signers[adversary];
        var transport = net.Network.Join(key.PublicKey, (_, _) => { });
        foreach (var i in early) net.Start(i);

        net.Submit(3);
        Advance(net, () => early.All(i => net.Drivers[i]!.Machine.Step == Step.Prevote), "the early validators prevote nil");
        foreach (var i in early) transport.Send(net.Signers[i].PublicKey, ConsensusMessage.Encode(Vote.Create(key, TestNet.ChainId, VoteType.Prevote, 1, 0, Hash32.Zero)));
        Advance(net, () => early.All(i => net.Drivers[i]!.Machine.Step == Step.Precommit), "the early validators precommit nil");
        return (key, transport, honest, early, honest[2]);
    }

    private static void Advance(TestNet net, Func<bool> until, string what)
    {
        for (var t = 0; t < 10_000 && !until(); t++) net.Time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(until(), $"{what} within 10 s: {net.Describe()}");
    }
}
