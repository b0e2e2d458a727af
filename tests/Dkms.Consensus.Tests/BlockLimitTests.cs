namespace Dkms.Consensus.Tests;

/// <summary>Issue 16 item 7: what a block may hold is the chain's rule; a node's own setting only bounds its proposals.</summary>
public sealed class BlockLimitTests
{
    [Fact]
    public void A_local_block_limit_bounds_what_a_validator_proposes_not_what_it_accepts()
    {
        using var net = new TestNet(4, seed: 7, configureNode: (i, o) => i == 0 ? o with { MaxBlockTransactions = 2 } : o);
        net.Crash(3); // node 0's vote is needed for every quorum
        net.Submit(60);
        Assert.True(net.RunUntilHeight(4, TimeSpan.FromSeconds(20)), net.Describe());

        var blocks = net.Apps[0].Blocks;
        Assert.All(blocks.Where(b => b.Header.Proposer == net.Signers[0].PublicKey), b => Assert.InRange(b.Transactions.Count, 0, 2));
        Assert.Contains(blocks, b => b.Transactions.Count > 2);
        net.AssertNoFork([0, 1, 2]);
    }

    [Fact]
    public void A_block_over_the_chain_limit_is_refused_by_every_validator()
    {
        using var net = new TestNet(4, seed: 8, o => o with { Limits = new Core.Blocks.BlockLimits(5, 1 << 20), MaxBlockTransactions = 100 });
        net.Submit(60);
        Assert.True(net.RunUntilHeight(3, TimeSpan.FromSeconds(20), feedEveryMs: 0), net.Describe());
        Assert.All(net.Apps[0].Blocks, b => Assert.InRange(b.Transactions.Count, 0, 5));
    }
}
