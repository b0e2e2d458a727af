using Microsoft.Extensions.Time.Testing;

namespace Dkms.Consensus.Tests;

/// <summary>Issue 17 item 5: on a starved machine a proposer that builds blocks larger than it can execute within the
/// propose timeout makes every height miss round 0; capped by its measured pace, blocks commit in round 0.</summary>
public sealed class PaceTests
{
    /// <summary>Four validators sharing one slow clock (each transaction executed costs 1 ms of it, for every validator
    /// in turn: one starved CPU), a full mempool; the rounds in which heights 2-6 were decided.</summary>
    /// <remarks>The chain's genesis defaults but no idle-block timer: the pool is never empty here, and the idle timer of
    /// height 1 is one more timer on the clock the validators share, which changes the order in which their timers fire
    /// as execution advances it (with it, the uncapped run misses round 0 at two of the five heights instead of three or
    /// more).</remarks>
    private static int[] Rounds(double share)
    {
        using var net = new TestNet(4, seed: 5, o => o with { ProposeExecutionShare = share }, parameters: new() { IdleBlockIntervalMs = 0 });
        foreach (var app in net.Apps) app.ExecutionCost = n => net.Time.Advance(TimeSpan.FromMilliseconds(n));
        net.Submit(40_000);
        Assert.True(net.RunUntilHeight(6, TimeSpan.FromMinutes(10), feedEveryMs: 0), net.Describe());
        net.AssertNoFork();
        return Enumerable.Range(2, 5).Select(h => net.Apps[0].TryGetCommitted((ulong)h, out _, out var c) ? c.Round : -1).ToArray();
    }

    [Fact]
    public void Without_the_cap_blocks_too_slow_to_execute_miss_round_0_height_after_height()
    {
        // Most heights, not all: a validator that enters the height only after the proposer's (clock-advancing) build
        // starts its propose timeout late and sees the block in time.
        var rounds = Rounds(share: 0);
        Assert.True(rounds.Count(r => r > 0) >= 3, $"rounds {string.Join(", ", rounds)}");
    }

    [Fact]
    public void A_proposer_capping_its_block_by_its_measured_pace_gets_it_decided_in_round_0() =>
        Assert.All(Rounds(share: 0.5), r => Assert.Equal(0, r));

    [Fact]
    public void The_cap_follows_the_moving_average_and_grows_with_the_round_timeout()
    {
        var time = new FakeTimeProvider();
        var pace = new ExecutionPace(time);
        Assert.Equal(5000, pace.Cap(TimeSpan.FromSeconds(1), 0.5, 5000)); // nothing measured yet
        pace.Time(1000, () => { time.Advance(TimeSpan.FromMilliseconds(1000)); return 0; }); // 1 ms per transaction
        Assert.Equal(500, pace.Cap(TimeSpan.FromSeconds(1), 0.5, 5000));
        Assert.Equal(750, pace.Cap(TimeSpan.FromSeconds(1.5), 0.5, 5000)); // round 1's longer timeout
        Assert.Equal(5000, pace.Cap(TimeSpan.FromSeconds(1), 0, 5000)); // share 0: off
        pace.Time(0, () => { time.Advance(TimeSpan.FromSeconds(10)); return 0; }); // an empty block says nothing
        Assert.Equal(500, pace.Cap(TimeSpan.FromSeconds(1), 0.5, 5000));
        pace.Add(1000, TimeSpan.FromMilliseconds(5000)); // 5 ms: the average moves a quarter of the way, to 2 ms
        Assert.Equal(250, pace.Cap(TimeSpan.FromSeconds(1), 0.5, 5000));
        pace.Add(1, TimeSpan.FromHours(1));
        Assert.Equal(1, pace.Cap(TimeSpan.FromSeconds(1), 0.5, 5000)); // never below one transaction
    }
}
