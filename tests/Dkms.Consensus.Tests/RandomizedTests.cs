using Dkms.Consensus.InMemory;
using Xunit.Abstractions;

namespace Dkms.Consensus.Tests;

public sealed class RandomizedTests(ITestOutputHelper output)
{
    /// <summary>Seeds run by the CI test; sized to take well under a minute on 2 cores.</summary>
    private const int Seeds = 240;

    [Fact]
    public void Random_faults_over_many_seeds_never_fork_and_the_chain_progresses_once_the_network_is_stable()
    {
        for (var seed = 1000; seed < 1000 + Seeds; seed++)
        {
            try
            {
                RunSeed(seed);
            }
            catch (Exception)
            {
                output.WriteLine($"failing seed: {seed} (replay with RandomizedTests.One_seed)");
                throw;
            }
        }
    }

    [Theory]
    [InlineData(1000)]
    [InlineData(1058)]
    public void One_seed(int seed) => RunSeed(seed);

    /// <summary>A chaotic phase (loss, duplication, reordering, long delays, a crash and restart, a partition),
    /// then a stable phase (partial synchrony after GST): safety throughout, progress after.</summary>
    private static void RunSeed(int seed)
    {
        var random = new Random(seed);
        using var net = new TestNet(4, seed);
        net.Network.Faults = new NetworkFaults
        {
            DropRate = random.NextDouble() * 0.3,
            DuplicateRate = random.NextDouble() * 0.3,
            MinDelayMs = 1,
            MaxDelayMs = 1 + random.Next(400),
        };
        var victim = random.Next(4);
        var crashAt = random.Next(3000);
        var restartAt = crashAt + random.Next(2000);
        var partitionAt = random.Next(4000);
        var partitionEnd = partitionAt + random.Next(1500);
        var keys = net.Signers.Select(s => s.PublicKey).ToArray();
        for (var t = 0; t < 4000; t++)
        {
            if (t == crashAt) net.Crash(victim);
            if (t == restartAt) net.Start(victim);
            if (t == partitionAt) net.Network.Partition([keys[0], keys[victim]], keys.Where((_, i) => i != 0 && i != victim).ToArray());
            if (t == partitionEnd) net.Network.Heal();
            net.Run(TimeSpan.FromMilliseconds(1), feedEveryMs: t % 10 == 0 ? 1 : 0);
        }

        net.AssertNoFork();
        net.Network.Heal();
        net.Network.Faults = new NetworkFaults { MinDelayMs = 1, MaxDelayMs = 10 };
        if (net.Drivers[victim] is null) net.Start(victim);
        var all = Enumerable.Range(0, 4).ToArray();
        var target = net.Apps.Max(a => a.Tip.Height) + 5;
        Assert.True(net.RunUntilHeight(target, TimeSpan.FromMinutes(2), all), $"seed {seed}: no progress to {target}, heights {string.Join(",", net.Apps.Select(a => a.Tip.Height))}, {net.Describe()}");
        net.AssertNoFork();
        net.AssertNoDoubleSigning(all);
    }
}
