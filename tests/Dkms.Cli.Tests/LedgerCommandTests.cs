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
        var verifier = testnet.Person("verifier").With("DKMS_GENESIS", path);

        // The node's genesis hash differs from the forged one: refused before the question is asked.
        (await verifier.RunAsync("resolve", id, "--verify")).Fails(ExitCodes.WrongChain);

        // A lying node claims the client's genesis: the chain check passes (it is no proof), the answer still does not verify.
        await using var liar = await RecordingProxy.StartAsync(testnet.Net.RpcEndpoints[0]);
        var claimed = forged.ComputeHash().ToHex();
        liar.Rewrite = (method, answer) => method == "node.status"
            ? System.Text.RegularExpressions.Regex.Replace(answer, "\"genesisHash\":\"[0-9a-f]+\"", $"\"genesisHash\":\"{claimed}\"")
            : answer;
        var run = (await verifier.RunAsync("--node", liar.Endpoint.ToString(), "resolve", id, "--verify")).Fails(ExitCodes.VerificationFailed);
        Assert.Contains("does not verify", run.Error);
    }

    [Fact]
    public async Task Resolving_an_unknown_identity_exits_6()
    {
        var unknown = new Dkms.Core.Primitives.IdentityId(UInt128.MaxValue).ToString();
        await testnet.IdentityAsync("someone"); // a certified block, so absence can be proven
        (await testnet.Person("v").RunAsync("resolve", unknown)).Fails(ExitCodes.NotFound);
        (await testnet.Person("v").RunAsync("resolve", unknown, "--verify")).Fails(ExitCodes.NotFound);
        // With --json the answer is the error document every failing command prints, not a result that looks normal.
        foreach (var verify in new[] { false, true })
        {
            string[] args = verify ? ["resolve", unknown, "--verify", "--json"] : ["resolve", unknown, "--json"];
            var error = (await testnet.Person("v").RunAsync(args)).Fails(ExitCodes.NotFound).Json.GetProperty("error");
            Assert.Equal("UnknownIdentity", error.GetProperty("code").GetString());
            Assert.Equal(ExitCodes.NotFound, error.GetProperty("exitCode").GetInt32());
        }
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

    [Fact]
    public async Task Resolve_shows_a_deactivated_identity_as_deactivated_and_none_of_its_keys_as_valid()
    {
        var (gina, id) = await testnet.IdentityAsync("gina");
        (await gina.RunAsync("identity", "deactivate", "--yes")).Ok();
        var reader = testnet.Person("v");
        foreach (var verify in new[] { false, true })
        {
            string[] args = verify ? ["resolve", id, "--verify"] : ["resolve", id];
            var human = (await reader.RunAsync(args)).Ok();
            Assert.Contains("DEACTIVATED", human.Out);
            Assert.DoesNotContain("[active]", human.Out);
            Assert.Contains("not valid", human.Out);
            var json = await reader.JsonAsync(args);
            Assert.True(json.GetProperty("deactivated").GetBoolean());
            Assert.False(json.GetProperty("keysValid").GetBoolean());
        }

        var show = (await gina.RunAsync("identity", "show")).Ok();
        Assert.Contains("DEACTIVATED", show.Out);
        Assert.DoesNotContain("[active]", show.Out);
    }

    [Fact]
    public async Task Starting_a_recovery_with_an_already_used_request_reports_where_it_was_committed()
    {
        var (_, t1) = await testnet.IdentityAsync("reuse-t1");
        var (_, t2) = await testnet.IdentityAsync("reuse-t2");
        var (_, subject) = await testnet.IdentityAsync("reuse-subject", 0, "--trustee", t1, "--trustee", t2, "--recovery-threshold", "2", "--recovery-delay", "3600");
        var requester = testnet.Person("reuse-requester");
        (await requester.RunAsync("wallet", "create")).Ok();
        (await requester.RunAsync("recovery", "request", "--subject", subject, "--out", "reuse.json")).Ok();
        (await Trustee("reuse-t1").RunAsync("recovery", "approve", "reuse.json")).Ok();
        (await Trustee("reuse-t2").RunAsync("recovery", "approve", "reuse.json")).Ok();
        var started = (await requester.JsonAsync("recovery", "start", "reuse.json")).GetProperty("tx");
        var height = started.GetProperty("height").GetUInt64();

        foreach (var extra in new[] { Array.Empty<string>(), ["--no-wait"] })
        {
            var again = (await requester.RunAsync(["recovery", "start", "reuse.json", .. extra])).Fails(ExitCodes.Rejected);
            Assert.DoesNotContain("started", again.Out);
            Assert.Contains($"already committed at height {height}", again.Error);
            var json = (await requester.RunAsync(["recovery", "start", "reuse.json", "--json", .. extra])).Fails(ExitCodes.Rejected).Json;
            Assert.Equal("AlreadyCommitted", json.GetProperty("error").GetProperty("code").GetString());
        }
    }

    private User Trustee(string label) => new(testnet.Directory, Directory.GetFiles(testnet.Directory, $"{label}-*.dkms").Single(), new Dictionary<string, string>
    {
        ["DKMS_NODE"] = testnet.Net.RpcEndpoints[0].ToString(),
        ["DKMS_GENESIS"] = testnet.Net.GenesisPath,
    });
}
