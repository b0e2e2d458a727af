using Dkms.Core.Blocks;
using Xunit.Abstractions;

namespace Dkms.Consensus.Tests;

public sealed class PaceTests(ITestOutputHelper output)
{
    private static ConsensusOptions NodeLike(ConsensusOptions o) => o with
    {
        TimeoutPropose = TimeSpan.FromMilliseconds(1000),
        TimeoutProposeIncrement = TimeSpan.FromMilliseconds(500),
        TimeoutPrevote = TimeSpan.FromMilliseconds(500),
        TimeoutPrevoteIncrement = TimeSpan.FromMilliseconds(250),
        TimeoutPrecommit = TimeSpan.FromMilliseconds(500),
        TimeoutPrecommitIncrement = TimeSpan.FromMilliseconds(250),
        Limits = new BlockLimits(5000, 8 * 1024 * 1024),
        MaxBlockTransactions = 5000,
        MaxBlockBytes = 8 * 1024 * 1024,
    };

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.5)]
    public void Explore(double share)
    {
        using var net = new TestNet(4, seed: 5, o => NodeLike(o) with { ProposeExecutionShare = share });
        foreach (var app in net.Apps) app.ExecutionCost = n => net.Time.Advance(TimeSpan.FromMilliseconds(n * 0.5));
        net.Submit(40_000);
        net.RunUntilHeight(8, TimeSpan.FromMinutes(10), feedEveryMs: 0);
        foreach (var b in net.Apps[0].Blocks)
        {
            net.Apps[0].TryGetCommitted(b.Height, out _, out var cert);
            output.WriteLine($"h{b.Height} r{cert.Round} txs {b.Transactions.Count} ts {b.Header.TimestampMs % 1_000_000}");
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void ExploreResume(int seed)
    {
        using var net = new TestNet(4, seed, NodeLike);
        Assert.True(net.RunUntilHeight(5, TimeSpan.FromMinutes(1)));
        net.Crash(2);
        net.Crash(3);
        net.Submit(1);
        net.Run(TimeSpan.FromSeconds(5));
        var stalled = net.Apps[0].Tip.Height;
        net.Start(2);
        var t0 = net.Time.GetUtcNow();
        Assert.True(net.RunUntilHeight(stalled + 1, TimeSpan.FromMinutes(1), new[] { 0 }, feedEveryMs: 0));
        net.Apps[0].TryGetCommitted(stalled + 1, out _, out var cert);
        output.WriteLine($"seed {seed}: {(net.Time.GetUtcNow() - t0).TotalMilliseconds} ms round {cert.Round}");
    }
}
