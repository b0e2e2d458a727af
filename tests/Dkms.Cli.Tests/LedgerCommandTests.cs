using Dkms.Cli.Tests.Support;

namespace Dkms.Cli.Tests;

/// <summary>Commands against a running in-process testnet: resolve --verify, tx status, rejections.</summary>
public sealed class LedgerCommandTests(Testnet testnet) : IClassFixture<Testnet>
{
    [Fact]
    public async Task An_identity_created_through_one_node_resolves_and_verifies_through_another()
    {
        var (alice, id) = await testnet.IdentityAsync("alice");
        var other = testnet.Person("verifier", node: 2);

        var verified = await other.JsonAsync("resolve", id, "--verify");
        Assert.True(verified.GetProperty("verified").GetBoolean());
        Assert.Equal("Active", verified.GetProperty("identity").GetProperty("status").GetString());
        Assert.Single(verified.GetProperty("identity").GetProperty("keyAgreementKeys").EnumerateArray());

        var human = (await other.RunAsync("resolve", id, "--verify", "--events")).Ok();
        Assert.Contains("verified against the 4 genesis validators", human.Out);
        Assert.Contains("Inception", human.Out);

        var show = (await alice.RunAsync("identity", "show")).Ok();
        Assert.Contains(id, show.Out);
        Assert.Contains("Active, sequence 1", show.Out);
    }

    [Fact]
    public async Task Resolve_verify_against_another_validator_set_fails_with_exit_5()
    {
        var (_, id) = await testnet.IdentityAsync("carol");
        var forged = testnet.Net.Genesis with
        {
            Validators = [.. testnet.Net.Genesis.Validators.Select((v, i) => v with { NodeKey = Convert.ToHexStringLower(Dkms.Core.Primitives.Hash32.Sha256([(byte)i]).ToArray()) })],
        };
        var path = Path.Combine(testnet.Directory, $"other-genesis-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(path, forged.ToJson());
        var run = (await testnet.Person("verifier").With("DKMS_GENESIS", path).RunAsync("resolve", id, "--verify")).Fails(ExitCodes.VerificationFailed);
        Assert.Contains("does not verify", run.Error);
    }

    [Fact]
    public async Task Resolving_an_unknown_identity_exits_6()
    {
        var unknown = new Dkms.Core.Primitives.IdentityId(UInt128.MaxValue).ToString();
        (await testnet.Person("v").RunAsync("resolve", unknown)).Fails(ExitCodes.NotFound);
        (await testnet.Person("v").RunAsync("resolve", unknown, "--verify")).Fails(ExitCodes.NotFound);
    }

    [Fact]
    public async Task No_wait_returns_before_the_block_and_tx_status_follows_the_transaction()
    {
        var dave = testnet.Person("dave");
        (await dave.RunAsync("wallet", "create")).Ok();
        var created = await dave.JsonAsync("identity", "create", "--label", "dave", "--no-wait");
        var hash = created.GetProperty("tx").GetProperty("hash").GetString()!;

        string status = "";
        for (var i = 0; i < 100 && status != "committed"; i++)
        {
            var run = await dave.RunAsync("tx", "status", hash, "--json");
            status = run.Json.GetProperty("status").GetString()!;
            if (status != "committed") await Task.Delay(100);
        }

        Assert.Equal("committed", status);
        (await dave.RunAsync("tx", "status", new string('0', 64))).Fails(ExitCodes.NotFound);
    }

    [Fact]
    public async Task A_rejected_transaction_exits_2_with_the_ledger_code()
    {
        var (erin, id) = await testnet.IdentityAsync("erin");
        (await erin.RunAsync("identity", "deactivate")).Fails(ExitCodes.Usage); // needs --yes
        (await erin.RunAsync("identity", "deactivate", "--yes")).Ok();
        var run = (await erin.RunAsync("key", "add", "--json")).Fails(ExitCodes.Rejected);
        Assert.Equal("Deactivated", run.Json.GetProperty("error").GetProperty("code").GetString());
        Assert.Contains("rejected by the ledger", run.Error);
        var resolved = await testnet.Person("v").JsonAsync("resolve", id);
        Assert.Equal("Deactivated", resolved.GetProperty("identity").GetProperty("status").GetString());
    }
}
