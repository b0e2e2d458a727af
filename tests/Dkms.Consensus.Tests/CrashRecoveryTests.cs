namespace Dkms.Consensus.Tests;

public sealed class CrashRecoveryTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    public void The_others_keep_committing_when_one_validator_is_down_from_the_start(int down)
    {
        using var net = new TestNet(4, seed: 11);
        net.Crash(down);
        var up = net.Running.ToArray();
        Assert.True(net.RunUntilHeight(50, TimeSpan.FromMinutes(2), up), $"stuck at {net.MinHeight(up)}");
        net.AssertNoFork();
        net.AssertNoDoubleSigning(up);
    }

    [Theory]
    [InlineData(1, 100)]
    [InlineData(2, 2_000)]
    [InlineData(3, 7_777)]
    public void A_validator_restarted_from_its_persisted_state_catches_up_and_never_double_signs(int seed, int crashAfterMs)
    {
        using var net = new TestNet(4, seed);
        net.Run(TimeSpan.FromMilliseconds(crashAfterMs), feedEveryMs: 10);
        net.Crash(1);
        var others = new[] { 0, 2, 3 };
        var target = net.MinHeight(others) + 20;
        Assert.True(net.RunUntilHeight(target, TimeSpan.FromMinutes(1), others));
        Assert.True(net.Apps[1].Tip.Height < target);

        net.Start(1);
        var all = Enumerable.Range(0, 4).ToArray();
        Assert.True(net.RunUntilHeight(target + 20, TimeSpan.FromMinutes(1), all), $"node 1 at {net.Apps[1].Tip.Height}, others at {net.MinHeight(others)}");
        net.AssertNoFork();
        net.AssertNoDoubleSigning(all);
    }

    [Fact]
    public void A_validator_restarted_between_a_decide_and_its_next_signature_begins_the_next_height_fresh()
    {
        using var net = new TestNet(4, seed: 41);
        Assert.True(net.RunUntilHeight(5, TimeSpan.FromMinutes(1)));

        // A decide does not save: until node 1 signs at the next height its record still names the decided one.
        var steps = 0;
        while (net.Stores[1].Load()!.Height != net.Apps[1].Tip.Height)
        {
            Assert.True(++steps < 10_000, "node 1's record always named a height it had not decided");
            net.Run(TimeSpan.FromMilliseconds(1), feedEveryMs: 1);
        }

        var decided = net.Apps[1].Tip.Height;
        net.Crash(1);
        net.Start(1);
        var all = Enumerable.Range(0, 4).ToArray();
        Assert.True(net.RunUntilHeight(decided + 10, TimeSpan.FromMinutes(1), all), $"stuck at {net.MinHeight(all)}");
        net.AssertNoFork();
        net.AssertNoDoubleSigning(all);
    }

    [Fact]
    public void Repeated_crashes_at_every_step_never_make_a_validator_sign_twice()
    {
        using var net = new TestNet(4, seed: 21);
        for (var k = 0; k < 30; k++)
        {
            net.Run(TimeSpan.FromMilliseconds(7 + k % 13), feedEveryMs: 5);
            net.Crash(k % 4);
            net.Run(TimeSpan.FromMilliseconds(3), feedEveryMs: 5);
            net.Start(k % 4);
        }

        var all = Enumerable.Range(0, 4).ToArray();
        Assert.True(net.RunUntilHeight(net.Apps.Max(a => a.Tip.Height) + 10, TimeSpan.FromMinutes(1), all));
        net.AssertNoFork();
        net.AssertNoDoubleSigning(all);
    }

    [Fact]
    public void Two_of_four_down_halts_without_forking_and_progress_resumes_when_they_return()
    {
        using var net = new TestNet(4, seed: 31);
        Assert.True(net.RunUntilHeight(10, TimeSpan.FromSeconds(30)));
        net.Crash(2);
        net.Crash(3);
        net.Run(TimeSpan.FromMilliseconds(200), feedEveryMs: 10);
        var stalled = net.Apps[0].Tip.Height;
        net.Run(TimeSpan.FromSeconds(5), feedEveryMs: 50);
        Assert.Equal(stalled, net.Apps[0].Tip.Height);
        Assert.Equal(stalled, net.Apps[1].Tip.Height);

        net.Start(2);
        net.Start(3);
        var all = Enumerable.Range(0, 4).ToArray();
        Assert.True(net.RunUntilHeight(stalled + 10, TimeSpan.FromMinutes(2), all), $"at {net.MinHeight(all)}");
        net.AssertNoFork();
        net.AssertNoDoubleSigning(all);
    }
}
