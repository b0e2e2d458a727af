using Dkms.Adversary.Tests.Support;
using Xunit.Abstractions;

namespace Dkms.Adversary.Tests;

/// <summary>
/// The Byzantine fourth validator fuzzes the three honest ones over the real transport. Afterwards they must be up,
/// must have kept committing an honest client's transactions during the attack, must agree on every block and state
/// root, and their heap must have stayed within <see cref="AttackRun.MemoryGrowthBoundBytes"/>.
/// </summary>
public sealed class FuzzCampaignTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_seeded_fuzz_run_of_100000_messages_leaves_the_three_honest_validators_committing_in_agreement()
    {
        var failures = await AttackRun.RunAsync(new CampaignOptions { Mode = AttackMode.Fuzz, Messages = 100_000, Seed = 16, Rate = 2_500 }, output);

        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }
}
