using Dkms.Adversary.Tests.Support;
using Xunit.Abstractions;

namespace Dkms.Adversary.Tests;

/// <summary>Long attacks, opt-in: <c>DKMS_SOAK=1 dotnet test tests/Dkms.Adversary.Tests -c Release --filter Category=Soak</c>.</summary>
[Trait("Category", "Soak")]
public sealed class SoakTests(ITestOutputHelper output)
{
    [SoakFact]
    public async Task A_fuzz_soak_of_a_million_messages_leaves_the_three_honest_validators_committing_in_agreement()
    {
        var failures = await AttackRun.RunAsync(new CampaignOptions { Mode = AttackMode.Fuzz, Messages = 1_000_000, Seed = 1_000_016, Rate = 3_000 }, output);

        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }

    [SoakFact]
    public async Task A_flood_soak_of_a_million_messages_leaves_the_three_honest_validators_committing_within_the_memory_bound()
    {
        var failures = await AttackRun.RunAsync(new CampaignOptions { Mode = AttackMode.Flood, Messages = 1_000_000, Seed = 2_000_016, Rate = 3_000 }, output);

        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }

    [SoakFact]
    public async Task A_replay_soak_of_a_million_messages_leaves_the_three_honest_validators_committing_in_agreement()
    {
        var failures = await AttackRun.RunAsync(new CampaignOptions { Mode = AttackMode.Replay, Messages = 1_000_000, Seed = 3_000_016, Rate = 3_000 }, output);

        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }
}
