using Dkms.Adversary.Tests.Support;
using Dkms.Node.Testing;
using Xunit.Abstractions;

namespace Dkms.Adversary.Tests;

/// <summary>
/// One named attack per hole of issue 16 that a Byzantine validator can open over the peer protocol, each by the
/// adversary in the fourth seat against three honest validators over the real transport. After each, the honest
/// validators must be up, must have kept committing an honest client's transactions during the attack, must agree
/// on every block and must have stayed inside the memory bound (<see cref="AttackRun"/>).
/// </summary>
public sealed class ScenarioTests(ITestOutputHelper output)
{
    /// <summary>Genesis block limit of <see cref="A_block_beyond_the_genesis_limit_is_refused_by_every_honest_validator_whatever_its_local_setting"/>.</summary>
    private const int GenesisMaxBlockTransactions = 8;

    [Fact]
    public async Task Proposals_votes_and_block_responses_with_nil_nested_fields_do_not_stop_an_honest_validator()
    {
        var failures = await AttackRun.RunAsync(new CampaignOptions { Mode = AttackMode.Malformed, Messages = 10_000, Seed = 161, Rate = 1_000 }, output);

        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }

    [Fact]
    public async Task Unsigned_far_future_oversized_and_duplicated_messages_keep_the_honest_validators_inside_the_memory_bound()
    {
        var failures = await AttackRun.RunAsync(new CampaignOptions { Mode = AttackMode.FarFuture, Messages = 15_000, Seed = 162, Rate = 1_000 }, output);

        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }

    [Fact]
    public async Task A_block_sent_with_other_transactions_under_its_signed_header_does_not_poison_an_honest_validators_verdict()
    {
        var failures = await AttackRun.RunAsync(
            new CampaignOptions { Mode = AttackMode.Poison, Messages = long.MaxValue, Duration = TimeSpan.FromSeconds(20), Seed = 163, Rate = 500 }, output);

        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }

    /// <summary>Two of the three honest validators raise the block limit in their own settings: a validity rule taken
    /// from local settings would let them and the adversary commit a block the third one refuses.</summary>
    [Fact]
    public async Task A_block_beyond_the_genesis_limit_is_refused_by_every_honest_validator_whatever_its_local_setting()
    {
        // The in-process testnet's short (wall-clock) timeouts; only the block limit is this test's own.
        var consensus = InProcessTestnet.ShortTimeouts with { MaxBlockTransactions = GenesisMaxBlockTransactions };
        var failures = await AttackRun.RunAsync(
            new CampaignOptions { Mode = AttackMode.BigBlock, Messages = long.MaxValue, Duration = TimeSpan.FromSeconds(15), Seed = 167, Rate = 500 }, output,
            consensus,
            (i, s) => i < 2 ? s with { Consensus = s.Consensus with { MaxBlockTransactions = 8 * GenesisMaxBlockTransactions } } : s);

        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }
}
