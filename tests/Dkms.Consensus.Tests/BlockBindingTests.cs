using Dkms.Core.Blocks;
using Dkms.Core.Encoding;

namespace Dkms.Consensus.Tests;

/// <summary>Issue 16 item 3: a block is bound to its signed header before anything about it is kept or cached.</summary>
public sealed class BlockBindingTests
{
    [Theory]
    [InlineData(31)]
    [InlineData(32)]
    public void A_relayed_proposal_with_altered_transactions_does_not_stop_the_victim_from_deciding(int seed)
    {
        using var net = new TestNet(4, seed);
        var relay = net.Signers[3].PublicKey; // runs honestly, and also relays altered copies of every proposal to node 0
        var altered = new List<byte[]>();
        var seen = new HashSet<(ulong, int)>();
        var observe = net.Network.Tap;
        net.Network.Tap = (from, bytes) =>
        {
            observe?.Invoke(from, bytes);
            if (!Codec.TryDecode<ConsensusMessage>(bytes, out var m, out _) || m?.Proposal is not { } p || !seen.Add((p.Height, p.Round))) return;
            var txs = p.Block.Transactions.Append(new byte[] { 0xBA, 0xD0 }).ToArray();
            var copy = new Proposal(p.Height, p.Round, p.ValidRound, new Block(p.Block.Header, txs), p.Proposer, p.Signature);
            altered.Add(ConsensusMessage.Encode(copy));
        };

        for (var t = 0; t < 30_000 && net.MinHeight([0, 1, 2, 3]) < 10; t++)
        {
            if (t % 10 == 0) net.Submit(3);
            foreach (var bytes in altered) net.Drivers[0]!.Deliver(relay, bytes); // before the honest copy, which takes at least 1 ms
            altered.Clear();
            net.Time.Advance(TimeSpan.FromMilliseconds(1));
        }

        Assert.True(net.MinHeight([0, 1, 2, 3]) >= 10, net.Describe());
        net.AssertNoFork();
        Assert.True(net.Drivers[0]!.Intake.Total() > 0, "the altered copies were not counted");
    }

    [Theory]
    [InlineData(33)]
    [InlineData(34)]
    public void An_unrequested_block_response_with_altered_transactions_does_not_stop_catch_up(int seed)
    {
        using var net = new TestNet(4, seed);
        var others = new[] { 1, 2, 3 };
        net.Network.Partition(others.Select(i => net.Signers[i].PublicKey), [net.Signers[0].PublicKey]);
        Assert.True(net.RunUntilHeight(5, TimeSpan.FromSeconds(20), others), net.Describe());

        var height = net.Drivers[0]!.Machine.Height;
        Assert.True(net.Apps[1].TryGetCommitted(height, out var block, out var certificate));
        var altered = new Block(block.Header, [new byte[] { 0xBA, 0xD0 }]);
        net.Drivers[0]!.Deliver(net.Signers[3].PublicKey, ConsensusMessage.Encode(altered, certificate));
        net.Network.Heal();

        Assert.True(net.RunUntilHeight(8, TimeSpan.FromSeconds(30)), net.Describe());
        net.AssertNoFork();
        Assert.Equal(1, net.Drivers[0]!.Intake[net.Signers[3].PublicKey, DropReason.TamperedBlock]);
    }

    [Fact]
    public void A_block_refused_for_a_timestamp_ahead_of_the_clock_is_judged_again_later()
    {
        // Node 0's clock runs behind the others' (a negative drift allowance is the same thing): every fresh block
        // looks "too far in the future" to it for a moment. That verdict depends on the clock, so it must not stick.
        using var net = new TestNet(4, seed: 35, configureNode: (i, o) => i == 0 ? o with { MaxClockDrift = TimeSpan.FromMilliseconds(-50) } : o);
        Assert.True(net.RunUntilHeight(5, TimeSpan.FromSeconds(30)), net.Describe());
        net.AssertNoFork();
    }
}
