using System.Globalization;
using System.Text;
using Dkms.Cli.Tests.Support;
using Dkms.Client;
using Dkms.Core.Encoding;
using Dkms.Core.Primitives;
using Dkms.Rpc;
using Dkms.Wallet.Encryption;
using Dkms.Wallet.Keys;
using Dkms.Wallet.Recovery;
using Dkms.Wallet.Shamir;
using Dkms.Wallet.Slip39;
using Dkms.Wallet.Storage;

namespace Dkms.Cli.Tests;

/// <summary>
/// <c>dkms shares combine</c> against forgers. The request key a new wallet publishes is public, so anyone
/// can seal a whole, self-consistent share set of a master secret they chose and label it with the owner's
/// did; the digests cannot tell. Combining must refuse it — exit 5, nothing written — because the restored
/// secret derives none of the owner's signing keys in the verified ledger state.
/// </summary>
public sealed class ForgedShareCommandTests(Testnet testnet) : IClassFixture<Testnet>
{
    [Fact]
    public async Task A_forged_share_set_sealed_to_the_public_request_key_is_refused_and_nothing_is_written()
    {
        var (_, erinId) = await testnet.IdentityAsync("forge-erin");
        var (fresh, requestKey) = await NewWalletAsync("forge-erin-new");

        using var chosen = MasterSecret.Generate(); // the forger's own secret, so the forger would hold every restored key
        var files = Forge(chosen, erinId, requestKey, threshold: 2, count: 2, "forged");

        var restoredPath = Path.Combine(testnet.Directory, $"forged-restored-{Guid.NewGuid():N}.dkms");
        var run = (await fresh.RunAsync(["shares", "combine", .. files.SelectMany(f => new[] { "--sealed", f }), "--owner", erinId, "--restore-to", restoredPath]))
            .Fails(ExitCodes.VerificationFailed);
        Assert.Contains(erinId, run.Error);
        Assert.Contains("not made by", run.Error);
        Assert.False(File.Exists(restoredPath));
    }

    [Fact]
    public async Task A_single_forged_share_claiming_threshold_one_is_refused()
    {
        var (_, erinId) = await testnet.IdentityAsync("single-erin");
        var (fresh, requestKey) = await NewWalletAsync("single-erin-new");
        using var chosen = MasterSecret.Generate();
        var file = SealRaw(new ShamirShare(1, 1, 0, chosen.Export()), erinId, requestKey, "single.sealed");

        var restoredPath = Path.Combine(testnet.Directory, $"single-restored-{Guid.NewGuid():N}.dkms");
        var run = (await fresh.RunAsync("shares", "combine", "--sealed", file, "--owner", erinId, "--restore-to", restoredPath, "--json")).Fails(ExitCodes.VerificationFailed);
        Assert.Equal("Malformed", run.Json.GetProperty("error").GetProperty("code").GetString());
        Assert.False(File.Exists(restoredPath));
    }

    [Fact]
    public async Task A_trustee_refuses_to_reseal_a_share_no_genuine_split_makes()
    {
        var (bob, bobId) = await testnet.IdentityAsync("unseal-bob");
        var bobKey = (await bob.JsonAsync("resolve", bobId)).GetProperty("identity").GetProperty("keyAgreementKeys")[0].GetProperty("key").GetString()!;
        var (_, requestKey) = await NewWalletAsync("unseal-requester");
        using var chosen = MasterSecret.Generate();
        var file = SealRaw(new ShamirShare(1, 1, 0, chosen.Export()), "did:dkms:someone", bobKey, "to-bob.sealed");

        var run = (await bob.RunAsync("shares", "unseal", file, "--to", requestKey, "--out", "to-requester.resealed", "--json")).Fails(ExitCodes.VerificationFailed);
        Assert.Equal("Malformed", run.Json.GetProperty("error").GetProperty("code").GetString());
        Assert.False(File.Exists(Path.Combine(testnet.Directory, "to-requester.resealed")));
    }

    [Fact]
    public async Task A_lying_node_answering_with_the_forgers_own_identity_does_not_let_forged_shares_through()
    {
        var (_, erinId) = await testnet.IdentityAsync("lied-erin");
        // The forger registers an identity of its own from the secret it will forge, so a genuine, proven state
        // with keys of that secret exists on the ledger: only its did differs from the owner's.
        using var chosen = MasterSecret.Generate();
        var forgerWallet = Path.Combine(testnet.Directory, $"forger-{Guid.NewGuid():N}.dkms");
        WalletFile.Create(forgerWallet, User.Passphrase, new KdfParameters(1024, 1), chosen).Dispose();
        var forgerId = (await new User(testnet.Directory, forgerWallet, Variables()).JsonAsync("identity", "create", "--label", "forger")).GetProperty("id").GetString()!;

        var (fresh, requestKey) = await NewWalletAsync("lied-erin-new");
        var files = Forge(chosen, erinId, requestKey, threshold: 2, count: 3, "lied").Take(2).ToArray();
        fresh.ClientFactory = uri => new DkmsRpcClient(new HttpClient(new ResolveSubstitutingHandler(erinId, forgerId)) { BaseAddress = uri }, ownsHttp: true);

        var restoredPath = Path.Combine(testnet.Directory, $"lied-restored-{Guid.NewGuid():N}.dkms");
        var run = (await fresh.RunAsync("shares", "combine", "--sealed", files[0], "--sealed", files[1], "--owner", erinId, "--restore-to", restoredPath))
            .Fails(ExitCodes.VerificationFailed);
        Assert.Contains(erinId, run.Error);
        Assert.False(File.Exists(restoredPath));
    }

    [Fact]
    public async Task Genuine_sealed_shares_still_restore_after_the_owner_rotated_and_every_file_is_owner_only()
    {
        var (bob, bobId) = await testnet.IdentityAsync("rot-bob");
        var (carol, carolId) = await testnet.IdentityAsync("rot-carol");
        var (gus, gusId) = await testnet.IdentityAsync("gus");
        var sealJson = await gus.JsonAsync("shares", "seal", "--trustee", bobId, "--trustee", carolId, "--threshold", "2", "--out-dir", "gus-shares");
        var sealedFiles = sealJson.GetProperty("shares").EnumerateArray().Select(s => s.GetProperty("file").GetString()!).ToArray();
        // The 64-bit set id travels as a string (JavaScript numbers lose bits above 2^53) and names the files' set.
        var setId = sealJson.GetProperty("shareSetId").GetString()!;
        var label = Dkms.Core.Encoding.Codec.Decode<Dkms.Wallet.Recovery.SealedShare>(File.ReadAllBytes(sealedFiles[0])).ShareSetId;
        Assert.Equal(label.ToString("x16", System.Globalization.CultureInfo.InvariantCulture), setId);
        (await gus.RunAsync("identity", "rotate")).Ok();
        (await gus.RunAsync("identity", "rotate")).Ok();
        var original = MasterHex(gus.Wallet);
        File.Delete(gus.Wallet);

        var (fresh, requestKey) = await NewWalletAsync("gus-new");
        Assert.Equal(setId, (await bob.JsonAsync("shares", "unseal", sealedFiles[0], "--to", requestKey, "--out", "gus-1.resealed")).GetProperty("shareSetId").GetString());
        (await carol.RunAsync("shares", "unseal", sealedFiles[1], "--to", requestKey, "--out", "gus-2.resealed")).Ok();
        var restoredPath = Path.Combine(testnet.Directory, $"gus-restored-{Guid.NewGuid():N}.dkms");
        var restored = await fresh.JsonAsync("shares", "combine", "--sealed", "gus-1.resealed", "--sealed", "gus-2.resealed", "--owner", gusId, "--restore-to", restoredPath);
        Assert.Equal(original, MasterHex(restoredPath));
        Assert.Equal(2, restored.GetProperty("rotation").GetInt32());
        (await new User(testnet.Directory, restoredPath, Variables()).RunAsync("identity", "import", gusId)).Ok();

        if (!OperatingSystem.IsWindows())
        {
            foreach (var file in new[] { Path.Combine(testnet.Directory, "gus-1.resealed"), Path.Combine(testnet.Directory, "gus-2.resealed"), restoredPath, fresh.Wallet })
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
            }
        }
    }

    [Fact]
    public async Task Mnemonics_given_with_owner_must_restore_that_owners_secret()
    {
        var (hana, hanaId) = await testnet.IdentityAsync("hana");
        var genuine = (await hana.JsonAsync("shares", "split", "--threshold", "2", "--count", "3")).GetProperty("mnemonics").EnumerateArray().Select(m => m.GetString()!).ToArray();
        using var chosen = MasterSecret.Generate();
        var forged = Slip39Shares.Split(chosen.Export(), 1, [new Slip39Group(2, 2)], iterationExponent: 0)[0];

        var refusedPath = Path.Combine(testnet.Directory, $"hana-forged-{Guid.NewGuid():N}.dkms");
        var refused = (await new User(testnet.Directory, refusedPath, Variables()).RunAsync("shares", "combine", "--mnemonic", forged[0], "--mnemonic", forged[1], "--owner", hanaId))
            .Fails(ExitCodes.VerificationFailed);
        Assert.Contains(hanaId, refused.Error);
        Assert.False(File.Exists(refusedPath));

        var restoredPath = Path.Combine(testnet.Directory, $"hana-restored-{Guid.NewGuid():N}.dkms");
        (await new User(testnet.Directory, restoredPath, Variables()).RunAsync("shares", "combine", "--mnemonic", genuine[2], "--mnemonic", genuine[0], "--owner", hanaId)).Ok();
        Assert.Equal(MasterHex(hana.Wallet), MasterHex(restoredPath));
    }

    private async Task<(User User, string RequestKey)> NewWalletAsync(string name)
    {
        var fresh = testnet.Person(name).With("DKMS_NEW_PASSPHRASE", User.Passphrase); // the restored wallet's
        (await fresh.RunAsync("wallet", "create")).Ok();
        return (fresh, (await fresh.JsonAsync("shares", "request-key")).GetProperty("requestKey").GetString()!);
    }

    /// <summary>What a forger does with nothing but public data: split its own secret and seal every share to the request key.</summary>
    private string[] Forge(MasterSecret chosen, string owner, string requestKey, int threshold, int count, string name)
    {
        var holder = PublicKey.ParseHex(requestKey);
        return [.. SecretSharing.Split(chosen.Export(), threshold, count).Select((share, i) =>
        {
            var path = Path.Combine(testnet.Directory, $"{name}-{i + 1}-{Guid.NewGuid():N}.sealed");
            File.WriteAllBytes(path, Codec.Encode(ShareSealing.Seal(share, owner, holder)));
            return path;
        })];
    }

    /// <summary>Seals any share, as a forger without this library would: labels in the clear, the same box context.</summary>
    private string SealRaw(ShamirShare share, string owner, string requestKey, string name)
    {
        var holder = PublicKey.ParseHex(requestKey);
        var context = Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"dkms/v1/recovery-share/{owner}/{share.SetId:x16}/{share.Threshold}/{share.Index}"));
        var sealedShare = new SealedShare(owner, share.SetId, share.Threshold, share.Index, holder, SealedBox.Seal(holder, share.ToBytes(), context));
        var path = Path.Combine(testnet.Directory, $"{Guid.NewGuid():N}-{name}");
        File.WriteAllBytes(path, Codec.Encode(sealedShare));
        return path;
    }

    private Dictionary<string, string> Variables() => new()
    {
        ["DKMS_NODE"] = testnet.Net.RpcEndpoints[0].ToString(),
        ["DKMS_GENESIS"] = testnet.Net.GenesisPath,
    };

    private static string MasterHex(string path)
    {
        using var wallet = WalletFile.Open(path, User.Passphrase);
        return Convert.ToHexString(wallet.Master.Export());
    }

    /// <summary>A lying node: every <c>identity.resolve</c> of one did is answered for another, with that one's genuine proof.</summary>
    private sealed class ResolveSubstitutingHandler(string asked, string answered) : DelegatingHandler(new HttpClientHandler())
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = await request.Content!.ReadAsStringAsync(cancellationToken);
            if (body.Contains(RpcMethods.Resolve, StringComparison.Ordinal))
            {
                request.Content = new StringContent(body.Replace(asked, answered, StringComparison.Ordinal), Encoding.UTF8, "application/json");
            }

            return await base.SendAsync(request, cancellationToken);
        }
    }
}
