using System.Text.Json.Nodes;
using Dkms.Cli.Tests.Support;
using Dkms.Core.Genesis;

namespace Dkms.Cli.Tests;

/// <summary>Argument handling and checks that fail before any node is asked (the node URL points nowhere).</summary>
public sealed class OfflineArgumentTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly User _user;

    public OfflineArgumentTests()
    {
        var genesis = new GenesisDocument
        {
            ChainId = "offline-chain",
            Validators = [new GenesisValidator { Name = "node0", NodeKey = new string('1', 64), Address = "127.0.0.1:1" }],
        };
        File.WriteAllText(_dir.File("genesis.json"), genesis.ToJson());
        _user = new User(_dir.Path, _dir.File("w.dkms"), new Dictionary<string, string>
        {
            ["DKMS_NODE"] = "http://127.0.0.1:9",
            ["DKMS_GENESIS"] = _dir.File("genesis.json"),
        });
    }

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("key", "revoke")]
    [InlineData("key", "revoke", "--key-id", "a", "--rotation", "0")]
    [InlineData("identity", "create", "--keys", "2", "--threshold", "3")]
    [InlineData("identity", "create", "--timeout", "0")]
    [InlineData("identity", "create", "--trustee", "not-a-did")]
    [InlineData("policy", "grant", "--policy", "p", "--agent", "x", "--rights", "Everything")]
    [InlineData("shares", "split", "--threshold", "3", "--count", "2")]
    [InlineData("resolve", "did:dkms:not-base58-0OIl")]
    [InlineData("identity", "create", "--node", "ftp://example")]
    public async Task Bad_arguments_exit_1_without_reaching_the_node(params string[] args)
    {
        (await _user.RunAsync("wallet", "create")).Ok();
        var run = (await _user.RunAsync(args)).Fails(ExitCodes.Usage);
        Assert.DoesNotContain("cannot reach the node", run.Error);
        Assert.DoesNotContain("   at ", run.Error); // no stack trace
    }

    [Fact]
    public async Task An_agent_proof_that_was_altered_or_answers_another_challenge_fails_with_exit_5()
    {
        (await _user.RunAsync("wallet", "create")).Ok();
        (await _user.RunAsync("agent", "create", "phone")).Ok();
        var nonce = (await _user.JsonAsync("agent", "challenge")).GetProperty("nonce").GetString()!;
        var owner = new Dkms.Core.Primitives.IdentityId(UInt128.One).ToString();
        (await _user.RunAsync("agent", "prove", "--agent", "phone", "--owner", owner, "--policy", "home", "--nonce", nonce, "--action", "open", "--out", "proof.json")).Ok();

        var other = (await _user.JsonAsync("agent", "challenge")).GetProperty("nonce").GetString()!;
        Assert.Contains("replay", (await _user.RunAsync("agent", "verify", "proof.json", "--nonce", other)).Fails(ExitCodes.VerificationFailed).Error);

        var proof = JsonNode.Parse(await File.ReadAllTextAsync(_dir.File("proof.json")))!;
        proof["action"] = "open everything";
        await File.WriteAllTextAsync(_dir.File("altered.json"), proof.ToJsonString());
        var altered = (await _user.RunAsync("agent", "verify", "altered.json", "--nonce", nonce)).Fails(ExitCodes.VerificationFailed);
        Assert.Contains("signature does not verify", altered.Error);

        await File.WriteAllTextAsync(_dir.File("junk.json"), "{ not json");
        (await _user.RunAsync("agent", "verify", "junk.json", "--nonce", nonce)).Fails(ExitCodes.Usage);
    }

    [Fact]
    public async Task Agent_keys_live_in_a_wallet_without_an_identity_and_are_listed()
    {
        (await _user.RunAsync("wallet", "create")).Ok();
        var key = (await _user.JsonAsync("agent", "create", "phone")).GetProperty("agent").GetString()!;
        var list = await _user.JsonAsync("agent", "list");
        Assert.Equal(key, list[0].GetProperty("agent").GetString());
        (await _user.RunAsync("agent", "create", "phone")).Fails(ExitCodes.Usage);
        // the holder of agent keys is not an identity: identity commands still say there is none
        Assert.Contains("holds no identity", (await _user.RunAsync("identity", "rotate")).Fails(ExitCodes.Usage).Error);
    }
}
