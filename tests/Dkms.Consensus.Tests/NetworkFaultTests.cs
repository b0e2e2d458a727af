using Dkms.Consensus.InMemory;

namespace Dkms.Consensus.Tests;

public sealed class NetworkFaultTests
{
    [Theory]
    [InlineData(0.10, 0.10, 1, 50)]
    [InlineData(0.30, 0.20, 1, 20)]
    [InlineData(0.05, 0.50, 1, 900)] // delays up to several propose timeouts, heavy reordering
    public void Loss_duplication_reordering_and_delay_do_not_fork_or_stop_the_chain(double drop, double duplicate, int minMs, int maxMs)
    {
        using var net = new TestNet(4, seed: 41);
        net.Network.Faults = new NetworkFaults { DropRate = drop, DuplicateRate = duplicate, MinDelayMs = minMs, MaxDelayMs = maxMs };
        Assert.True(net.RunUntilHeight(30, TimeSpan.FromMinutes(5)), $"at {net.MinHeight(net.Running)}");
        net.AssertNoFork();
        net.AssertNoDoubleSigning(net.Running);
    }

    [Fact]
    public void A_partition_without_a_quorum_side_halts_and_progress_resumes_after_it_heals()
    {
        using var net = new TestNet(4, seed: 51);
        Assert.True(net.RunUntilHeight(5, TimeSpan.FromSeconds(30)));
        var k = net.Signers.Select(s => s.PublicKey).ToArray();
        net.Network.Partition([k[0], k[1]], [k[2], k[3]]);
        net.Run(TimeSpan.FromMilliseconds(300), feedEveryMs: 10);
        var before = net.Apps.Select(a => a.Tip.Height).ToArray();
        net.Run(TimeSpan.FromSeconds(5), feedEveryMs: 50);
        Assert.Equal(before, net.Apps.Select(a => a.Tip.Height).ToArray());
        net.AssertNoFork();

        net.Network.Heal();
        Assert.True(net.RunUntilHeight(before.Max() + 10, TimeSpan.FromMinutes(2)), $"at {net.MinHeight(net.Running)}");
        net.AssertNoFork();
        net.AssertNoDoubleSigning(net.Running);
    }

    [Fact]
    public void An_isolated_validator_catches_up_after_the_partition_heals()
    {
        using var net = new TestNet(4, seed: 52);
        var k = net.Signers.Select(s => s.PublicKey).ToArray();
        net.Network.Partition([k[0], k[1], k[2]], [k[3]]);
        Assert.True(net.RunUntilHeight(40, TimeSpan.FromMinutes(1), [0, 1, 2]));
        Assert.True(net.Apps[3].Tip.Height < 40);
        net.Network.Heal();
        Assert.True(net.RunUntilHeight(60, TimeSpan.FromMinutes(1), [0, 1, 2, 3]), $"node 3 at {net.Apps[3].Tip.Height}");
        net.AssertNoFork();
    }
}
