namespace Dkms.Consensus.Tests;

public sealed class NormalFlowTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Four_validators_commit_hundreds_of_heights_with_identical_blocks(int seed)
    {
        using var net = new TestNet(4, seed);
        Assert.True(net.RunUntilHeight(300, TimeSpan.FromMinutes(5)), $"stuck at {net.MinHeight(net.Running)}");
        net.AssertNoFork();
        net.AssertNoDoubleSigning(net.Running);
        var top = net.Apps.Min(a => a.Tip.Height);
        Assert.All(net.Apps, a => Assert.Equal(net.Apps[0].Blocks[(int)top - 1].Header.StateRoot, a.Blocks[(int)top - 1].Header.StateRoot));
    }

    [Fact]
    public void An_idle_chain_does_not_commit_empty_blocks()
    {
        using var net = new TestNet(4, seed: 3);
        net.Run(TimeSpan.FromSeconds(10));
        Assert.All(net.Apps, a => Assert.Equal(0UL, a.Tip.Height));
        Assert.All(net.Drivers, d => Assert.True(d!.Machine.IsWaitingForTransactions));
    }

    [Fact]
    public void An_idle_chain_certifies_its_time_with_an_empty_block_every_idle_interval()
    {
        using var net = new TestNet(4, seed: 3, o => o with { IdleBlockInterval = TimeSpan.FromSeconds(2) });
        net.Run(TimeSpan.FromSeconds(1.5));
        Assert.All(net.Apps, a => Assert.Equal(0UL, a.Tip.Height));
        net.Run(TimeSpan.FromSeconds(9));
        // One empty block per interval (plus the time each takes to commit), not a stream of them.
        Assert.InRange(net.MinHeight(net.Running), 3UL, 5UL);
        Assert.All(net.Apps, a => Assert.All(a.Blocks, b => Assert.Empty(b.Transactions)));
        net.AssertNoFork();
        // Transactions arriving meanwhile are committed at once, not at the next interval.
        var before = net.MinHeight(net.Running);
        net.Submit(1);
        Assert.True(net.RunUntilHeight(before + 1, TimeSpan.FromMilliseconds(200), feedEveryMs: 0));
    }

    [Fact]
    public void An_idle_chain_commits_empty_blocks_when_configured()
    {
        using var net = new TestNet(4, seed: 3, o => o with { CreateEmptyBlocks = true });
        net.Run(TimeSpan.FromSeconds(5));
        Assert.True(net.MinHeight(net.Running) >= 10);
        net.AssertNoFork();
    }

    [Fact]
    public void A_waiting_transaction_is_committed_within_tens_of_milliseconds()
    {
        using var net = new TestNet(4, seed: 4);
        net.Run(TimeSpan.FromSeconds(2));
        net.Submit(1);
        var start = net.Time.GetUtcNow();
        Assert.True(net.RunUntilHeight(1, TimeSpan.FromSeconds(1), feedEveryMs: 0));
        Assert.True(net.Time.GetUtcNow() - start < TimeSpan.FromMilliseconds(100), $"took {net.Time.GetUtcNow() - start}");
        Assert.Single(net.Apps[0].Blocks[0].Transactions);
    }

    [Fact]
    public void A_height_entered_with_transactions_pending_is_proposed_without_the_batching_window()
    {
        // A long window makes the difference plain: an idle chain waits for it once, a busy one not again.
        // One transaction per block, two submitted: the second is pending when height 2 begins.
        using var net = new TestNet(4, seed: 5, o => o with { BatchDelay = TimeSpan.FromMilliseconds(200), MaxBlockTransactions = 1 });
        net.Run(TimeSpan.FromSeconds(1));
        var start = net.Time.GetUtcNow();
        net.Submit(2);

        Assert.True(net.RunUntilHeight(1, TimeSpan.FromSeconds(1), feedEveryMs: 0));
        var first = net.Time.GetUtcNow() - start;
        Assert.True(net.RunUntilHeight(2, TimeSpan.FromSeconds(1), feedEveryMs: 0));
        var second = net.Time.GetUtcNow() - start - first;

        Assert.True(first >= TimeSpan.FromMilliseconds(200), $"height 1 after {first}: the idle chain's batching window was skipped");
        Assert.True(second < TimeSpan.FromMilliseconds(100), $"height 2 took {second} after height 1: it waited for a batching window");
        Assert.All(net.Apps, a => Assert.Equal(2UL, a.Tip.Height));
    }

    [Theory]
    [InlineData(10, 1_000_000)]
    [InlineData(1000, 200)]
    public void A_proposal_carries_at_most_the_configured_count_and_bytes(int maxCount, int maxBytes)
    {
        using var net = new TestNet(4, seed: 5, o => o with { MaxBlockTransactions = maxCount, MaxBlockBytes = maxBytes });
        net.Submit(100);
        Assert.True(net.RunUntilHeight(3, TimeSpan.FromSeconds(5), feedEveryMs: 0));
        foreach (var b in net.Apps[0].Blocks)
        {
            Assert.InRange(b.Transactions.Count, 1, maxCount);
            Assert.InRange(b.Transactions.Sum(t => t.Length), 1, maxBytes);
        }
    }

    [Fact]
    public void Invalid_transactions_are_left_out_by_honest_proposers()
    {
        using var net = new TestNet(4, seed: 6);
        foreach (var a in net.Apps) a.Reject = tx => tx[8] == 0xFF;
        var bad = new byte[40];
        bad[8] = 0xFF;
        net.Submit([bad]);
        Assert.True(net.RunUntilHeight(5, TimeSpan.FromSeconds(10)));
        Assert.DoesNotContain(net.Apps[0].Blocks, b => b.Transactions.Any(t => t[8] == 0xFF));
        net.AssertNoFork();
    }
}
