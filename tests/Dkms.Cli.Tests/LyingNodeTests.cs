using System.Globalization;
using System.Text.Json.Nodes;
using Dkms.Cli.Tests.Support;
using Dkms.Client.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace Dkms.Cli.Tests;

/// <summary>
/// The CLI against a node that lies (a proxy in front of an honest in-process validator that answers
/// some questions with the genuine answer to another one): every verifying command refuses the
/// substitute with exit code 5 and accepts the honest answer. Which lie comes when is a seeded shuffle.
/// </summary>
public sealed class LyingNodeTests(Testnet testnet) : IClassFixture<Testnet>, IAsyncLifetime
{
    private LyingProxy _proxy = null!;

    public async Task InitializeAsync() => _proxy = await LyingProxy.StartAsync(testnet.Net.RpcEndpoints[0]);

    public async Task DisposeAsync() => await _proxy.DisposeAsync();

    [Fact]
    public async Task Resolve_verify_refuses_another_identity_an_older_height_and_another_height_than_asked()
    {
        var (_, mallory) = await testnet.IdentityAsync("res-mallory");
        var (victim, victimId) = await testnet.IdentityAsync("res-victim");
        var created = await HeightOfAsync(victimId);
        var rotated = (await victim.JsonAsync("identity", "rotate")).GetProperty("tx").GetProperty("height").GetUInt64();
        var verifier = ThroughProxy("res-verifier");
        var honest = await verifier.JsonAsync("resolve", victimId, "--verify");
        var currentKeys = honest.GetProperty("identity").GetProperty("signingKeys").ToString();

        var rng = new Random(1501);
        var lies = new (string Name, Action Tell, string[] Args)[]
        {
            ("another identity's proof", () => _proxy.AnswerInstead("identity.resolve", c => c.Param("id") == victimId, p => p["id"] = mallory), ["resolve", victimId, "--verify"]),
            ("a proof from before the rotation", () => _proxy.AnswerInstead("identity.resolve", c => c.Param("id") == victimId, p => p["height"] = Between(rng, created, rotated - 1)),
                ["resolve", victimId, "--verify"]),
            ("another height than the one asked for", () => _proxy.AnswerInstead("identity.resolve", c => c.Param("id") == victimId, p => p["height"] = Between(rng, created, rotated - 1)),
                ["resolve", victimId, "--verify", "--height", rotated.ToString(CultureInfo.InvariantCulture)]),
        };
        foreach (var (name, tell, args) in Shuffled(rng, lies, rounds: 2))
        {
            tell();
            var told = _proxy.LiesTold;
            var run = await verifier.RunAsync(args);
            Assert.True(_proxy.LiesTold > told, $"the lie ({name}) was not served");
            run.Fails(ExitCodes.VerificationFailed);
            Assert.Contains("does not verify", run.Error);
        }

        _proxy.BeHonest();
        var again = await verifier.JsonAsync("resolve", victimId, "--verify");
        Assert.Equal(currentKeys, again.GetProperty("identity").GetProperty("signingKeys").ToString());
        Assert.Equal(victimId, again.GetProperty("id").GetString());
        (await verifier.RunAsync("resolve", victimId, "--verify", "--height", rotated.ToString(CultureInfo.InvariantCulture))).Ok();
    }

    [Fact]
    public async Task Agent_verify_refuses_an_old_policy_another_policy_another_owner_and_a_pre_deactivation_identity()
    {
        var (owner, ownerId) = await testnet.IdentityAsync("ag-owner");
        var (mallory, malloryId) = await testnet.IdentityAsync("ag-mallory");
        var (gone, goneId) = await testnet.IdentityAsync("ag-gone");
        var phone = testnet.Person("ag-phone");
        (await phone.RunAsync("wallet", "create")).Ok();
        var phoneKey = (await phone.JsonAsync("agent", "create", "phone")).GetProperty("agent").GetString()!;
        var tabletKey = (await phone.JsonAsync("agent", "create", "tablet")).GetProperty("agent").GetString()!;

        var granted = await GrantAsync(owner, "home", phoneKey, "Prove");
        await GrantAsync(owner, "home", tabletKey, "Prove");
        await GrantAsync(owner, "office", phoneKey, "Prove");
        await GrantAsync(mallory, "home", phoneKey, "Prove");
        var goneGranted = await GrantAsync(gone, "home", phoneKey, "Prove");
        var revoked = (await owner.JsonAsync("policy", "revoke", "--policy", "home", "--agent", phoneKey)).GetProperty("tx").GetProperty("height").GetUInt64();
        var deactivated = (await gone.JsonAsync("identity", "deactivate", "--yes")).GetProperty("tx").GetProperty("height").GetUInt64();

        var door = ThroughProxy("ag-door");
        var nonce = (await door.JsonAsync("agent", "challenge")).GetProperty("nonce").GetString()!;
        (await phone.RunAsync("agent", "prove", "--agent", "phone", "--owner", ownerId, "--policy", "home", "--nonce", nonce, "--action", "open", "--out", "ag-phone.json")).Ok();
        (await phone.RunAsync("agent", "prove", "--agent", "phone", "--owner", goneId, "--policy", "home", "--nonce", nonce, "--action", "open", "--out", "ag-gone.json")).Ok();
        (await phone.RunAsync("agent", "prove", "--agent", "tablet", "--owner", ownerId, "--policy", "home", "--nonce", nonce, "--action", "open", "--out", "ag-tablet.json")).Ok();

        // Honestly: the phone was removed from 'home', its other owner is deactivated, the tablet may open.
        Assert.Contains("holds no Prove right", (await door.RunAsync("agent", "verify", "ag-phone.json", "--nonce", nonce)).Fails(ExitCodes.VerificationFailed).Error);
        Assert.Contains("deactivated", (await door.RunAsync("agent", "verify", "ag-gone.json", "--nonce", nonce)).Fails(ExitCodes.VerificationFailed).Error);
        Assert.True((await door.JsonAsync("agent", "verify", "ag-tablet.json", "--nonce", nonce)).GetProperty("valid").GetBoolean());

        var rng = new Random(1502);
        var lies = new (string Name, Action Tell, string Proof)[]
        {
            ("the policy before the agent was removed", () => _proxy.AnswerInstead("policy.get", c => c.Param("owner") == ownerId, p => p["height"] = Between(rng, granted, revoked - 1)), "ag-phone.json"),
            ("another policy of the owner", () => _proxy.AnswerInstead("policy.get", c => c.Param("owner") == ownerId, p => p["policyId"] = "office"), "ag-phone.json"),
            ("another owner's policy", () => _proxy.AnswerInstead("policy.get", c => c.Param("owner") == ownerId, p => p["owner"] = malloryId), "ag-phone.json"),
            ("the owner before it was deactivated", () => _proxy.AnswerInstead("identity.resolve", c => c.Param("id") == goneId, p => p["height"] = Between(rng, goneGranted, deactivated - 1)), "ag-gone.json"),
        };
        foreach (var (name, tell, proof) in Shuffled(rng, lies, rounds: 2))
        {
            tell();
            var told = _proxy.LiesTold;
            var run = await door.RunAsync("agent", "verify", proof, "--nonce", nonce);
            Assert.True(_proxy.LiesTold > told, $"the lie ({name}) was not served");
            run.Fails(ExitCodes.VerificationFailed);
            Assert.Contains("does not verify", run.Error);
        }

        _proxy.BeHonest();
        Assert.True((await door.JsonAsync("agent", "verify", "ag-tablet.json", "--nonce", nonce)).GetProperty("valid").GetBoolean());
    }

    [Fact]
    public async Task Shares_seal_refuses_trustee_keys_a_lying_node_chose_and_writes_nothing()
    {
        var (trustee, trusteeId) = await testnet.IdentityAsync("seal-trustee");
        var (_, otherTrusteeId) = await testnet.IdentityAsync("seal-trustee-2");
        var (mallory, malloryId) = await testnet.IdentityAsync("seal-mallory");
        var (owner, _) = await testnet.IdentityAsync("seal-owner");
        var before = await HeightOfAsync(trusteeId);
        // The trustee's first key-agreement key leaks: it publishes a new one and revokes the old.
        var oldKeyId = (await trustee.JsonAsync("identity", "show")).GetProperty("ledger").GetProperty("keyAgreementKeys")[0].GetProperty("id").GetString()!;
        (await trustee.RunAsync("key", "add")).Ok();
        var revokedAt = (await trustee.JsonAsync("key", "revoke", "--key-id", oldKeyId)).GetProperty("txs")[0].GetProperty("height").GetUInt64();
        var malloryKey = (await mallory.JsonAsync("identity", "show")).GetProperty("ledger").GetProperty("keyAgreementKeys")[0].GetProperty("key").GetString()!;
        var sealer = owner.With("DKMS_NODE", _proxy.Endpoint.ToString());
        (await sealer.RunAsync("resolve", trusteeId, "--verify")).Ok(); // the sealer has seen the chain at the revocation's height

        var rng = new Random(1503);
        var lies = new (string Name, Action Tell)[]
        {
            ("another identity's keys", () => _proxy.AnswerInstead("identity.resolve", c => c.Param("id") == trusteeId, p => p["id"] = malloryId)),
            ("the trustee before it revoked the leaked key", () => _proxy.AnswerInstead("identity.resolve", c => c.Param("id") == trusteeId, p => p["height"] = Between(rng, before, revokedAt - 1))),
            ("a key written into the readable answer", () => _proxy.Tamper("identity.resolve", c => c.Param("id") == trusteeId, r =>
            {
                foreach (var k in r["identity"]!["keyAgreementKeys"]!.AsArray()) k!["key"] = malloryKey;
            })),
        };
        var round = 0;
        foreach (var (name, tell) in Shuffled(rng, lies, rounds: 2))
        {
            tell();
            var told = _proxy.LiesTold;
            var dir = $"sealed-lie-{round++}";
            var run = await sealer.RunAsync("shares", "seal", "--trustee", trusteeId, "--trustee", otherTrusteeId, "--threshold", "2", "--out-dir", dir);
            Assert.True(_proxy.LiesTold > told, $"the lie ({name}) was not served");
            run.Fails(ExitCodes.VerificationFailed);
            Assert.Contains("does not verify", run.Error);
            var written = Path.Combine(testnet.Directory, dir);
            Assert.True(!Directory.Exists(written) || Directory.GetFiles(written).Length == 0, $"shares were written after the lie ({name})");
        }

        _proxy.BeHonest();
        var files = (await sealer.JsonAsync("shares", "seal", "--trustee", trusteeId, "--trustee", otherTrusteeId, "--threshold", "2", "--out-dir", "sealed-honest"))
            .GetProperty("shares").EnumerateArray().Select(s => s.GetProperty("file").GetString()!).ToArray();
        var requester = testnet.Person("seal-requester");
        (await requester.RunAsync("wallet", "create")).Ok();
        var requestKey = (await requester.JsonAsync("shares", "request-key")).GetProperty("requestKey").GetString()!;
        (await trustee.RunAsync("shares", "unseal", files[0], "--to", requestKey, "--out", "seal-resealed")).Ok(); // sealed to the trustee's current key
        (await mallory.RunAsync("shares", "unseal", files[0], "--to", requestKey, "--out", "seal-stolen")).Fails(ExitCodes.VerificationFailed);
    }

    [Fact]
    public async Task Policy_grant_reads_the_agents_current_rights_from_a_verified_answer()
    {
        var (owner, ownerId) = await testnet.IdentityAsync("grant-owner");
        using var agent = Dkms.Core.Crypto.Ed25519Signer.FromSeed(Dkms.Core.Primitives.Hash32.Sha256("grant-agent"u8.ToArray()).ToArray());
        var agentKey = agent.PublicKey.ToHex();
        await GrantAsync(owner, "lab", agentKey, "Prove");
        await GrantAsync(owner, "lab-admins", agentKey, "Admin");
        var viaProxy = owner.With("DKMS_NODE", _proxy.Endpoint.ToString());

        // The node says the agent already is an Admin of 'lab': a grant of ProveGrant must not carry Admin along.
        _proxy.AnswerInstead("policy.get", c => c.Param("policyId") == "lab", p => p["policyId"] = "lab-admins");
        var run = await viaProxy.RunAsync("policy", "grant", "--policy", "lab", "--agent", agentKey, "--rights", "ProveGrant");
        Assert.True(_proxy.LiesTold > 0);
        run.Fails(ExitCodes.VerificationFailed);
        _proxy.BeHonest();
        var lab = await testnet.Person("grant-verifier").JsonAsync("policy", "show", "--owner", ownerId, "--policy", "lab", "--verify");
        Assert.Equal("Prove", lab.GetProperty("policy").GetProperty("agents")[0].GetProperty("rights").GetString());

        var granted = await viaProxy.JsonAsync("policy", "grant", "--policy", "lab", "--agent", agentKey, "--rights", "ProveGrant");
        Assert.Equal("Prove, ProveGrant", granted.GetProperty("after").GetString());
    }

    [Fact]
    public async Task A_proof_older_than_max_age_is_refused_even_by_a_client_that_has_seen_no_newer_height()
    {
        var (victim, victimId) = await testnet.IdentityAsync("age-victim");
        var created = await HeightOfAsync(victimId);
        await Task.Delay(1500); // the rotation's block is then at least 1.5 s younger than the ones before it
        var rotated = (await victim.JsonAsync("identity", "rotate")).GetProperty("tx").GetProperty("height").GetUInt64();
        var rotatedAt = DateTimeOffset.FromUnixTimeMilliseconds((await _proxy.Upstream.BlockAsync(rotated)).TimestampMs);

        // A verifier new to this chain (its own, empty file of heights) whose clock reads half a second after the rotation.
        var verifier = ThroughProxy("age-verifier").With("DKMS_VERIFIED_HEIGHTS", Path.Combine(testnet.Directory, $"age-{Guid.NewGuid():N}.json"));
        verifier.Clock = new FakeTimeProvider(rotatedAt + TimeSpan.FromMilliseconds(500));
        _proxy.AnswerInstead("identity.resolve", c => c.Param("id") == victimId, p => p["height"] = created);
        var stale = (await verifier.RunAsync("resolve", victimId, "--verify", "--max-age", "1", "--json")).Fails(ExitCodes.VerificationFailed);
        Assert.Equal("TooOld", stale.Json.GetProperty("error").GetProperty("code").GetString());
        Assert.Contains("more than the 1 s allowed", stale.Error);
        _proxy.BeHonest();
        (await verifier.RunAsync("resolve", victimId, "--verify", "--max-age", "1")).Ok();

        // An honest node seen from a clock an hour ahead: too old for the default bound (five minutes), not for a larger one.
        verifier.Clock = new FakeTimeProvider(DateTimeOffset.UtcNow + TimeSpan.FromHours(1));
        (await verifier.RunAsync("resolve", victimId, "--verify")).Fails(ExitCodes.VerificationFailed);
        (await verifier.With("DKMS_MAX_AGE", "7200").RunAsync("resolve", victimId, "--verify")).Ok();
        (await verifier.RunAsync("resolve", victimId, "--verify", "--max-age", "0")).Fails(ExitCodes.Usage);
        (await verifier.RunAsync("resolve", victimId, "--verify", "--max-age", "5m")).Fails(ExitCodes.Usage);
    }

    [Fact]
    public async Task The_highest_verified_height_is_kept_per_chain_in_a_private_file_and_no_node_goes_below_it()
    {
        var (victim, victimId) = await testnet.IdentityAsync("floor-victim");
        var created = await HeightOfAsync(victimId);
        (await victim.RunAsync("identity", "rotate")).Ok();
        var file = Path.Combine(testnet.Directory, $"floor-{Guid.NewGuid():N}", "heights.json");
        var first = ThroughProxy("floor-1").With("DKMS_VERIFIED_HEIGHTS", file);
        var seen = (await first.JsonAsync("resolve", victimId, "--verify")).GetProperty("height").GetUInt64();

        Assert.True(File.Exists(file));
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        var chains = JsonNode.Parse(await File.ReadAllTextAsync(file))!["chains"]!.AsObject();
        var (chain, recorded) = Assert.Single(chains);
        Assert.StartsWith(testnet.Net.Genesis.ChainId + "/", chain);
        Assert.Equal(seen, recorded!.GetValue<ulong>());

        // Another run (another person, same file) is not taken back to before the rotation, whatever its age bound.
        var second = ThroughProxy("floor-2").With("DKMS_VERIFIED_HEIGHTS", file);
        _proxy.AnswerInstead("identity.resolve", c => c.Param("id") == victimId, p => p["height"] = created);
        var behind = (await second.RunAsync("resolve", victimId, "--verify", "--max-age", "315360000", "--json")).Fails(ExitCodes.VerificationFailed);
        Assert.Equal("BelowVerifiedHeight", behind.Json.GetProperty("error").GetProperty("code").GetString());
        _proxy.BeHonest();
        (await second.RunAsync("resolve", victimId, "--verify")).Ok();

        // A file this client did not write is refused, not trusted or overwritten.
        await File.WriteAllTextAsync(file, "{ \"chains\": { \"x\": \"high\" } }");
        Assert.Contains("malformed", (await second.RunAsync("resolve", victimId, "--verify")).Fails(ExitCodes.Usage).Error);
    }

    private User ThroughProxy(string name) => testnet.Person(name).With("DKMS_NODE", _proxy.Endpoint.ToString());

    private static async Task<ulong> GrantAsync(User owner, string policy, string agent, string rights) =>
        (await owner.JsonAsync("policy", "grant", "--policy", policy, "--agent", agent, "--rights", rights)).GetProperty("tx").GetProperty("height").GetUInt64();

    private async Task<ulong> HeightOfAsync(string id) =>
        (await testnet.Person("height-reader").JsonAsync("resolve", id)).GetProperty("identity").GetProperty("updatedAtHeight").GetUInt64();

    private static JsonNode Between(Random rng, ulong low, ulong high) => JsonValue.Create((ulong)rng.NextInt64((long)low, (long)high + 1))!;

    private static IEnumerable<T> Shuffled<T>(Random rng, T[] items, int rounds)
    {
        for (var r = 0; r < rounds; r++)
        {
            var order = (T[])items.Clone();
            rng.Shuffle(order);
            foreach (var item in order) yield return item;
        }
    }
}
