using Dkms.Cli.Tests.Support;
using Dkms.Client;
using Dkms.Core.Primitives;
using Dkms.Core.Transactions;
using Dkms.Rpc;
using Dkms.Wallet.Storage;

namespace Dkms.Cli.Tests;

/// <summary>
/// The user stories of docs/key-management.md, typed as the commands the guide shows, against four
/// in-process validators: a lost phone, a stolen key, and lost everything (mnemonics, trustees,
/// sealed shares), plus an owner cancelling a recovery started behind their back.
/// </summary>
public sealed class UserStoryTests(Testnet testnet) : IClassFixture<Testnet>
{
    [Fact]
    public async Task Lost_phone_another_agent_removes_it_the_owner_rotates_and_its_proofs_stop_verifying()
    {
        var (alice, aliceId) = await testnet.IdentityAsync("alice");
        var laptopKey = (await alice.JsonAsync("agent", "create", "laptop")).GetProperty("agent").GetString()!;
        var phone = testnet.Person("phone", node: 1);
        (await phone.RunAsync("wallet", "create")).Ok();
        var phoneKey = (await phone.JsonAsync("agent", "create", "phone")).GetProperty("agent").GetString()!;

        (await alice.RunAsync("policy", "grant", "--policy", "home", "--agent", "laptop", "--rights", "Admin")).Ok();
        (await alice.RunAsync("policy", "grant", "--policy", "home", "--agent", phoneKey, "--rights", "Prove")).Ok();

        // A verifier (the front door) challenges the phone; the phone proves; the door checks locally against a state proof.
        var door = testnet.Person("door", node: 3);
        var nonce = (await door.JsonAsync("agent", "challenge")).GetProperty("nonce").GetString()!;
        (await phone.RunAsync("agent", "prove", "--agent", "phone", "--owner", aliceId, "--policy", "home", "--nonce", nonce, "--action", "open front door", "--out", "proof-1.json")).Ok();
        var ok = await door.JsonAsync("agent", "verify", "proof-1.json", "--nonce", nonce, "--action", "open front door");
        Assert.True(ok.GetProperty("valid").GetBoolean());
        Assert.Equal("state-proof", ok.GetProperty("method").GetString());
        Assert.Equal("node", (await door.JsonAsync("agent", "verify", "proof-1.json", "--nonce", nonce, "--trust-node")).GetProperty("method").GetString());

        // A replay to another challenge, or for another action, fails.
        var otherNonce = (await door.JsonAsync("agent", "challenge")).GetProperty("nonce").GetString()!;
        (await door.RunAsync("agent", "verify", "proof-1.json", "--nonce", otherNonce)).Fails(ExitCodes.VerificationFailed);
        (await door.RunAsync("agent", "verify", "proof-1.json", "--nonce", nonce, "--action", "open safe")).Fails(ExitCodes.VerificationFailed);

        // The phone is lost: the laptop (an Admin agent) removes it on alice's behalf, and alice rotates.
        (await alice.RunAsync("policy", "revoke", "--policy", "home", "--agent", phoneKey, "--as-agent", "laptop", "--owner", aliceId)).Ok();
        (await alice.RunAsync("identity", "rotate")).Ok();

        var policy = await door.JsonAsync("policy", "show", "--owner", aliceId, "--policy", "home", "--verify");
        var agents = policy.GetProperty("policy").GetProperty("agents").EnumerateArray().Select(a => a.GetProperty("agent").GetString()).ToList();
        Assert.Equal([laptopKey], agents);

        // Whoever holds the phone now cannot prove anything.
        var nonce2 = (await door.JsonAsync("agent", "challenge")).GetProperty("nonce").GetString()!;
        (await phone.RunAsync("agent", "prove", "--agent", "phone", "--owner", aliceId, "--policy", "home", "--nonce", nonce2, "--action", "open front door", "--out", "proof-2.json")).Ok();
        var denied = (await door.RunAsync("agent", "verify", "proof-2.json", "--nonce", nonce2)).Fails(ExitCodes.VerificationFailed);
        Assert.Contains("holds no Prove right", denied.Error);
        (await door.RunAsync("agent", "verify", "proof-2.json", "--nonce", nonce2, "--trust-node")).Fails(ExitCodes.VerificationFailed);

        // The phone cannot put itself back either.
        (await phone.RunAsync("policy", "grant", "--policy", "home", "--agent", phoneKey, "--as-agent", "phone", "--owner", aliceId)).Fails(ExitCodes.Rejected);
    }

    [Fact]
    public async Task Stolen_key_the_owner_rotates_with_the_pre_rotated_keys_and_marks_the_stolen_key_compromised()
    {
        var (bob, bobId) = await testnet.IdentityAsync("bob");
        var id = IdentityId.Parse(bobId);
        var createdAt = (await bob.JsonAsync("identity", "show")).GetProperty("height").GetUInt64();
        using var wallet = WalletFile.Open(bob.Wallet, User.Passphrase);
        using var stolen = wallet.Master.SigningKey(0, 0, 0); // the thief copies bob's current signing key

        var rotated = await bob.JsonAsync("identity", "rotate");
        var rotatedAt = rotated.GetProperty("tx").GetProperty("height").GetUInt64();
        Assert.Contains(stolen.PublicKey.ToHex(), rotated.GetProperty("retiredKeys").EnumerateArray().Select(k => k.GetString()));
        (await bob.RunAsync("key", "revoke", "--rotation", "0", "--compromised-at", createdAt.ToString(System.Globalization.CultureInfo.InvariantCulture))).Ok();

        // What the thief can still sign is refused: a new key, or destroying the identity.
        using var client = new DkmsRpcClient(testnet.Net.RpcEndpoints[0]);
        var sequence = (await client.ResolveAsync(id)).Identity!.Sequence;
        var builder = new TransactionBuilder(testnet.Net.Genesis.ChainId);
        foreach (var tx in new[]
        {
            builder.AddKeyAgreementKey(id, sequence + 1, new KeyAgreementKeyEntry("thief", stolen.PublicKey, "encryption"), [stolen]),
            builder.Deactivate(id, sequence + 1, [stolen]),
        })
        {
            var rejected = await Assert.ThrowsAsync<RpcException>(() => client.SubmitAsync(tx, SubmitModes.Commit, 20_000));
            Assert.Equal(RpcErrorCodes.TransactionRejected, rejected.Code);
        }

        // Verifiers learn that signatures by the stolen key no longer count, even those made before the rotation.
        var check = (await testnet.Person("verifier").RunAsync("key", "check", bobId, stolen.PublicKey.ToHex(), "--height", createdAt.ToString(System.Globalization.CultureInfo.InvariantCulture))).Fails(ExitCodes.VerificationFailed);
        Assert.Contains("Compromised", check.Out);
        var current = (await bob.JsonAsync("identity", "show")).GetProperty("ledger").GetProperty("signingKeys")[0].GetString()!;
        (await testnet.Person("verifier").RunAsync("key", "check", bobId, current, "--height", rotatedAt.ToString(System.Globalization.CultureInfo.InvariantCulture))).Ok();
        (await bob.RunAsync("key", "add")).Ok(); // bob goes on with the new keys
    }

    [Fact]
    public async Task Lost_everything_restored_from_slip39_mnemonics_then_imported_from_the_ledger()
    {
        var (carol, carolId) = await testnet.IdentityAsync("carol");
        (await carol.RunAsync("identity", "rotate")).Ok();
        var mnemonics = (await carol.JsonAsync("shares", "split", "--threshold", "2", "--count", "3"))
            .GetProperty("mnemonics").EnumerateArray().Select(m => m.GetString()!).ToArray();
        File.Delete(carol.Wallet); // the laptop is gone

        var newLaptop = testnet.Person("carol-new", node: 2);
        (await newLaptop.RunAsync("shares", "combine", "--mnemonic", mnemonics[1], "--mnemonic", mnemonics[2])).Ok();
        var imported = await newLaptop.JsonAsync("identity", "import", carolId, "--label", "carol");
        Assert.Equal(1, imported.GetProperty("wallet").GetProperty("rotation").GetInt32());
        (await newLaptop.RunAsync("identity", "rotate")).Ok();
        (await newLaptop.RunAsync("key", "add")).Ok();
    }

    [Fact]
    public async Task Lost_everything_trustees_recover_the_identity_onto_a_new_wallet_after_the_delay()
    {
        var (_, bobId) = await testnet.IdentityAsync("trustee-bob");
        var (_, carolId) = await testnet.IdentityAsync("trustee-carol");
        var bob = Trustee("trustee-bob");
        var carol = Trustee("trustee-carol");
        var (dana, danaId) = await testnet.IdentityAsync("dana");
        (await dana.RunAsync("recovery", "set-policy", "--trustee", bobId, "--trustee", carolId, "--threshold", "2", "--delay", "1", "--now")).Ok();
        File.Delete(dana.Wallet); // and no backup

        var fresh = testnet.Person("dana-new", node: 1);
        (await fresh.RunAsync("wallet", "create")).Ok();
        (await fresh.RunAsync("recovery", "request", "--subject", danaId, "--out", "dana-recovery.json")).Ok();
        (await bob.RunAsync("recovery", "approve", "dana-recovery.json")).Ok();
        (await fresh.RunAsync("recovery", "start", "dana-recovery.json")).Fails(ExitCodes.Rejected); // one trustee is not enough
        (await carol.RunAsync("recovery", "approve", "dana-recovery.json")).Ok();
        (await fresh.RunAsync("recovery", "start", "dana-recovery.json")).Ok();
        var during = await fresh.JsonAsync("resolve", danaId);
        Assert.Equal("Recovering", during.GetProperty("identity").GetProperty("status").GetString());

        // The node admits a transaction against its own clock, so a finalize is refused (RecoveryDelayNotElapsed) only
        // until the one-second delay has passed; no other block is needed.
        var finalized = await UntilDelayPassedAsync(() => fresh.RunAsync("recovery", "finalize", "--json"));
        Assert.True(finalized.Json.GetProperty("walletHoldsKeys").GetBoolean());
        var after = await fresh.JsonAsync("resolve", danaId, "--verify");
        Assert.Equal("Active", after.GetProperty("identity").GetProperty("status").GetString());
        (await fresh.RunAsync("identity", "rotate")).Ok();
        (await fresh.RunAsync("key", "add")).Ok();

        User Trustee(string name) => new(testnet.Directory, WalletOf(name), Variables());
    }

    [Fact]
    public async Task Lost_everything_trustees_reseal_their_shares_to_the_new_wallet_which_combines_them()
    {
        var (bob, bobId) = await testnet.IdentityAsync("seal-bob");
        var (carol, carolId) = await testnet.IdentityAsync("seal-carol");
        var (erin, erinId) = await testnet.IdentityAsync("erin");
        var sealedShares = (await erin.JsonAsync("shares", "seal", "--trustee", bobId, "--trustee", carolId, "--threshold", "2", "--out-dir", "erin-shares"))
            .GetProperty("shares").EnumerateArray().Select(s => s.GetProperty("file").GetString()!).ToArray();
        var original = MasterHex(erin.Wallet);
        File.Delete(erin.Wallet);

        var fresh = testnet.Person("erin-temp");
        (await fresh.RunAsync("wallet", "create")).Ok();
        var requestKey = (await fresh.JsonAsync("shares", "request-key")).GetProperty("requestKey").GetString()!;
        (await bob.RunAsync("shares", "unseal", sealedShares[0], "--to", requestKey, "--out", "erin-1.resealed")).Ok();
        (await carol.RunAsync("shares", "unseal", sealedShares[0], "--to", requestKey, "--out", "x.resealed")).Fails(ExitCodes.VerificationFailed); // not carol's
        (await carol.RunAsync("shares", "unseal", sealedShares[1], "--to", requestKey, "--out", "erin-2.resealed")).Ok();

        var restoredPath = Path.Combine(testnet.Directory, $"erin-restored-{Guid.NewGuid():N}.dkms");
        (await fresh.With("DKMS_NEW_PASSPHRASE", User.Passphrase).RunAsync("shares", "combine", "--sealed", "erin-1.resealed", "--sealed", "erin-2.resealed", "--owner", erinId, "--restore-to", restoredPath)).Ok();
        Assert.Equal(original, MasterHex(restoredPath));
        var restored = new User(testnet.Directory, restoredPath, Variables());
        (await restored.RunAsync("identity", "import", erinId)).Ok();
        (await restored.RunAsync("identity", "rotate")).Ok();
    }

    [Fact]
    public async Task A_recovery_started_behind_the_owners_back_is_cancelled_by_the_pre_rotated_keys_or_by_the_trustees()
    {
        var (_, bobId) = await testnet.IdentityAsync("cancel-bob");
        var (_, carolId) = await testnet.IdentityAsync("cancel-carol");
        var (frank, frankId) = await testnet.IdentityAsync("frank");
        (await frank.RunAsync("recovery", "set-policy", "--trustee", bobId, "--trustee", carolId, "--delay", "3600", "--now")).Ok();

        var mallory = testnet.Person("mallory");
        (await mallory.RunAsync("wallet", "create")).Ok();
        (await mallory.RunAsync("recovery", "request", "--subject", frankId, "--out", "frank-recovery.json")).Ok();
        (await new User(testnet.Directory, WalletOf("cancel-bob"), Variables()).RunAsync("recovery", "approve", "frank-recovery.json")).Ok();
        (await new User(testnet.Directory, WalletOf("cancel-carol"), Variables()).RunAsync("recovery", "approve", "frank-recovery.json")).Ok();
        (await mallory.RunAsync("recovery", "start", "frank-recovery.json")).Ok();

        var show = (await frank.RunAsync("identity", "show")).Ok();
        Assert.Contains("RECOVERY IN PROGRESS", show.Out);
        (await mallory.RunAsync("recovery", "finalize", "--subject", frankId)).Fails(ExitCodes.Rejected); // the delay has not passed
        (await frank.RunAsync("recovery", "cancel")).Ok();
        Assert.Equal("Active", (await frank.JsonAsync("resolve", frankId)).GetProperty("identity").GetProperty("status").GetString());
        (await frank.RunAsync("identity", "rotate")).Ok();

        // The trustees can cancel too, by signing a cancel request the same way they signed the start.
        (await mallory.RunAsync("recovery", "request", "--subject", frankId, "--out", "frank-recovery-2.json")).Ok();
        (await new User(testnet.Directory, WalletOf("cancel-bob"), Variables()).RunAsync("recovery", "approve", "frank-recovery-2.json")).Ok();
        (await new User(testnet.Directory, WalletOf("cancel-carol"), Variables()).RunAsync("recovery", "approve", "frank-recovery-2.json")).Ok();
        (await mallory.RunAsync("recovery", "start", "frank-recovery-2.json")).Ok();
        var anyone = testnet.Person("anyone");
        (await anyone.RunAsync("recovery", "request-cancel", "--subject", frankId, "--out", "frank-cancel.json")).Ok();
        (await anyone.RunAsync("recovery", "start", "frank-cancel.json")).Fails(ExitCodes.Usage);
        (await new User(testnet.Directory, WalletOf("cancel-bob"), Variables()).RunAsync("recovery", "approve", "frank-cancel.json")).Ok();
        (await anyone.RunAsync("recovery", "cancel", "--request", "frank-cancel.json")).Fails(ExitCodes.Rejected); // one trustee is not enough
        (await new User(testnet.Directory, WalletOf("cancel-carol"), Variables()).RunAsync("recovery", "approve", "frank-cancel.json")).Ok();
        (await anyone.RunAsync("recovery", "cancel", "--request", "frank-cancel.json")).Ok();
        Assert.Equal("Active", (await frank.JsonAsync("resolve", frankId)).GetProperty("identity").GetProperty("status").GetString());
    }

    [Fact]
    public async Task An_approval_gone_stale_because_its_trustee_rotated_is_left_out_and_the_others_start_the_recovery()
    {
        var (_, bobId) = await testnet.IdentityAsync("stale-bob");
        var (_, carolId) = await testnet.IdentityAsync("stale-carol");
        var (dave, daveId) = await testnet.IdentityAsync("stale-dave");
        var (gina, ginaId) = await testnet.IdentityAsync("gina");
        (await gina.RunAsync("recovery", "set-policy", "--trustee", bobId, "--trustee", carolId, "--trustee", daveId, "--threshold", "2", "--delay", "3600", "--now")).Ok();

        var fresh = testnet.Person("gina-new", node: 2);
        (await fresh.RunAsync("wallet", "create")).Ok();
        (await fresh.RunAsync("recovery", "request", "--subject", ginaId, "--out", "gina-recovery.json")).Ok();
        foreach (var name in new[] { "stale-bob", "stale-carol", "stale-dave" })
        {
            (await new User(testnet.Directory, WalletOf(name), Variables()).RunAsync("recovery", "approve", "gina-recovery.json")).Ok();
        }

        (await dave.RunAsync("identity", "rotate")).Ok(); // Dave's approval is by keys that are no longer his
        var started = (await fresh.RunAsync("recovery", "start", "gina-recovery.json")).Ok();
        Assert.Contains("no longer count", started.Error);
        Assert.Equal("Recovering", (await fresh.JsonAsync("resolve", ginaId)).GetProperty("identity").GetProperty("status").GetString());
    }

    private Dictionary<string, string> Variables() => new()
    {
        ["DKMS_NODE"] = testnet.Net.RpcEndpoints[0].ToString(),
        ["DKMS_GENESIS"] = testnet.Net.GenesisPath,
    };

    private string WalletOf(string name) => Directory.GetFiles(testnet.Directory, $"{name}-*.dkms").Single();

    private static string MasterHex(string path)
    {
        using var wallet = WalletFile.Open(path, User.Passphrase);
        return Convert.ToHexString(wallet.Master.Export());
    }

    /// <summary>Finalize is refused until block time passes start + delay; retry until it is accepted.</summary>
    private static async Task<CliRun> UntilDelayPassedAsync(Func<Task<CliRun>> finalize)
    {
        for (var i = 0; ; i++)
        {
            var run = await finalize();
            // Only the refusal that says "too early" is retried: any other one fails the test at once.
            var early = run.ExitCode == ExitCodes.Rejected && run.Error.Contains(nameof(ErrorCode.RecoveryDelayNotElapsed), StringComparison.Ordinal);
            if (!early || i >= 30) return run.Ok();
            await Task.Delay(300);
        }
    }
}
