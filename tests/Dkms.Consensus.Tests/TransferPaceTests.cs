using Dkms.Consensus.InMemory;
using Dkms.Core.Primitives;
using Microsoft.Extensions.Time.Testing;

namespace Dkms.Consensus.Tests;

/// <summary>Issue 20 item 3: on links slower than a full proposal needs within the propose timeout, every round's
/// proposal misses its validators' timeouts (and each new proposer queues another large block behind its last), so
/// heights take round after round; a proposer that caps its block by the measured transfer rate of its proposals
/// keeps the chain committing in round 0 with smaller blocks and drains the pool over more heights.</summary>
public sealed class TransferPaceTests
{
    private const int Transactions = 30_000;

    /// <summary>Four validators over links of 50 KB/s each way (one ordered queue per link, as one LiteNetLib channel):
    /// a full block (5,000 transactions, ≈ 225 KB) takes over four seconds to cross, the propose timeout is 1 s + 0.5 s
    /// per round. The proposal is sent once per round, as in the node; a floor of 16 KiB (the default's 64 KiB would
    /// not cross such a link within the first timeout). 90 simulated seconds.</summary>
    private static TestNet Run(double share)
    {
        var net = new TestNet(4, seed: 7, o => o with { ProposeTransferShare = share, ProposeTransferMinBytes = 16 * 1024, RebroadcastProposal = false },
            parameters: new() { IdleBlockIntervalMs = 0 });
        net.Network.Faults = new NetworkFaults { MinDelayMs = 30, MaxDelayMs = 40, BandwidthBytesPerSecond = 50_000 };
        net.Submit(Transactions);
        net.Run(TimeSpan.FromSeconds(90));
        net.AssertNoFork();
        return net;
    }

    private static (int Committed, int[] Rounds) Outcome(TestNet net)
    {
        var app = net.Apps[0];
        var blocks = Enumerable.Range(1, (int)app.Tip.Height)
            .Select(h => app.TryGetCommitted((ulong)h, out var b, out var c) ? (b.Transactions.Count, c.Round) : (0, -1)).ToArray();
        return (blocks.Sum(b => b.Item1), blocks.Select(b => b.Item2).ToArray());
    }

    [Fact]
    public void Without_the_cap_full_blocks_take_several_rounds_per_height_and_the_pool_does_not_drain()
    {
        using var net = Run(share: 0);
        var (committed, rounds) = Outcome(net);
        Assert.True(committed < Transactions, $"committed {committed}");
        Assert.All(rounds, r => Assert.True(r > 0, $"rounds {string.Join(", ", rounds)}"));
    }

    [Fact]
    public void A_proposer_capping_its_block_by_its_measured_transfer_rate_drains_the_pool_in_round_0()
    {
        using var net = Run(share: 0.5);
        var (committed, rounds) = Outcome(net);
        Assert.True(committed == Transactions, $"committed {committed}; rounds {string.Join(", ", rounds)}; {net.Describe()}");
        // The first heights teach each proposer its rate (a full block misses its round once per proposer at most).
        var later = rounds.Skip(4).ToArray();
        Assert.True(later.Count(r => r == 0) >= later.Length * 3 / 4, $"rounds {string.Join(", ", rounds)}");
        Assert.All(net.Running, i => Assert.True(net.Drivers[i]!.Machine.Transfer.BytesPerSecond > 0));
    }

    [Fact]
    public void The_cap_engages_on_a_missed_proposal_and_follows_arrivals()
    {
        var time = new FakeTimeProvider();
        var pace = new TransferPace(time);
        var block = Hash32.Sha256([1]);
        Assert.Equal(1_000_000, pace.Cap(TimeSpan.FromSeconds(1), 0.5, 1000, 1_000_000)); // not engaged
        pace.OnSent(1, 0, block, 100_000, 1_000_000, 1000);
        time.Advance(TimeSpan.FromMilliseconds(200));
        pace.OnArrived(); // in time: a fast chain keeps its full blocks
        Assert.Equal(1_000_000, pace.Cap(TimeSpan.FromSeconds(1), 0.5, 1000, 1_000_000));

        pace.OnSent(2, 0, block, 1_000_000, 1_000_000, 1000);
        time.Advance(TimeSpan.FromSeconds(2));
        pace.OnMissed(); // 1 MB did not reach a quorum in 2 s: at most 500 KB/s
        Assert.Equal(250_000, pace.Cap(TimeSpan.FromSeconds(1), 0.5, 1000, 1_000_000));
        Assert.Equal(375_000, pace.Cap(TimeSpan.FromSeconds(1.5), 0.5, 1000, 1_000_000)); // round 1's longer timeout
        Assert.Equal(1_000_000, pace.Cap(TimeSpan.FromSeconds(1), 0, 1000, 1_000_000)); // share 0: off

        pace.OnSent(3, 0, block, 200, 250_000, 1000);
        time.Advance(TimeSpan.FromSeconds(10));
        pace.OnMissed(); // smaller than the floor: says nothing about the links
        Assert.Equal(250_000, pace.Cap(TimeSpan.FromSeconds(1), 0.5, 1000, 1_000_000));

        pace.OnSent(4, 0, block, 10_000, 250_000, 1000);
        time.Advance(TimeSpan.FromSeconds(1));
        pace.OnArrived(); // a small block arriving slowly: latency, not rate; ignored
        Assert.Equal(250_000, pace.Cap(TimeSpan.FromSeconds(1), 0.5, 1000, 1_000_000));

        pace.OnSent(5, 0, block, 250_000, 250_000, 1000);
        time.Advance(TimeSpan.FromMilliseconds(250));
        pace.OnArrived(); // a full block at 1 MB/s: a quarter of the way from 500 KB/s
        Assert.Equal(312_500, pace.Cap(TimeSpan.FromSeconds(1), 0.5, 1000, 1_000_000));

        pace.OnSent(6, 0, block, 1_000_000, 1_000_000, 1000);
        time.Advance(TimeSpan.FromHours(1));
        pace.OnMissed();
        Assert.Equal(1000, pace.Cap(TimeSpan.FromSeconds(1), 0.5, 1000, 1_000_000)); // never below the floor
        Assert.Equal(2, pace.Missed);
    }
}
