using System.Text;
using System.Text.Json.Nodes;
using Dkms.Client.Tests.Support;
using Dkms.Core.Blocks;
using Dkms.Core.Crypto;
using Dkms.Core.Encoding;
using Dkms.Core.Primitives;
using Dkms.Core.Transactions;
using Dkms.Ledger.Merkle;
using Dkms.Ledger.State;
using Dkms.Rpc;
using Microsoft.Extensions.Time.Testing;

namespace Dkms.Client.Tests;

/// <summary>
/// The light-client skipping rule (<see cref="ValidatorHistory.Skip"/>): a reader trusting the genesis skips straight to the
/// newest validator-set change when more than a third of the genesis power signed it, within the trusting period; after
/// the period it follows one by one; and a change fabricated by one Byzantine genesis validator with keys of its own —
/// a header, state root, record and certificate that all fit together — is refused.
/// </summary>
[Collection(FollowingCollection.Name)]
public sealed class ValidatorSkippingTests(FollowingFixture fixture) : IDisposable
{
    private readonly LyingProxy _proxy = fixture.Proxy;

    public void Dispose() => _proxy.BeHonest();

    /// <summary>The testnet's blocks carry this machine's time; the client's clock stands a minute later.</summary>
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow + TimeSpan.FromMinutes(1);

    private static SkippingRule Rule => new(TimeSpan.FromDays(14), new FakeTimeProvider(Now));

    private TrustedChain GenesisTrustedAt(DateTimeOffset at) => TrustedChain.FromGenesis(fixture.Net.Genesis, at);

    [Fact]
    public async Task A_reader_within_the_trusting_period_skips_to_the_newest_change_and_verifies_with_it()
    {
        var reader = new VerifiedReader(fixture.Honest, GenesisTrustedAt(Now - TimeSpan.FromDays(1)), TimeSpan.FromMinutes(5), new FakeTimeProvider(Now)) { Skipping = Rule };

        Assert.NotNull((await reader.ResolveAsync(fixture.Late.Id)).Value);

        Assert.Equal([0UL, 2], reader.Chain.Sets.Select(s => s.Sequence));
        Assert.True(reader.Chain.Sets[1].Skipped);
        Assert.Equal(fixture.Changes.Removed + Governance.ActivationDelay, reader.Chain.Sets[1].FromHeight);
        // The heights between the genesis and the skipped-to set are not covered: no set this reader knows certifies them.
        var early = await Assert.ThrowsAsync<VerificationException>(() => reader.ResolveAsync(fixture.Early.Id, fixture.EarlyHeight));
        Assert.Contains("skipped", early.Message);
    }

    [Fact]
    public async Task After_the_trusting_period_a_reader_follows_every_change_one_by_one()
    {
        var reader = new VerifiedReader(fixture.Honest, GenesisTrustedAt(Now - TimeSpan.FromDays(15)), TimeSpan.FromMinutes(5), new FakeTimeProvider(Now)) { Skipping = Rule };

        Assert.NotNull((await reader.ResolveAsync(fixture.Late.Id)).Value);

        Assert.Equal([0UL, 1, 2], reader.Chain.Sets.Select(s => s.Sequence));
        Assert.DoesNotContain(reader.Chain.Sets, s => s.Skipped);
    }

    [Fact]
    public async Task The_rule_alone_refuses_a_skip_vouched_for_by_a_third_or_less_of_the_trusted_power()
    {
        var newest = (await fixture.Honest.ValidatorHistoryAsync(0, limit: 1, newest: true)).Changes.Single();
        Assert.Equal(2UL, newest.Sequence); // the newest change alone, not the first page
        var honest = ValidatorHistory.Skip(GenesisTrustedAt(Now - TimeSpan.FromDays(1)), newest, Rule, out var none);
        Assert.True(honest.IsValid, honest.Error);
        Assert.Equal(SkipRefusal.None, none);

        var forged = Fabricate(newest, byzantine: 1);
        var refused = ValidatorHistory.Skip(GenesisTrustedAt(Now - TimeSpan.FromDays(1)), forged, Rule, out var why);

        Assert.False(refused.IsValid);
        Assert.Equal(SkipRefusal.NotEnoughOverlap, why);
    }

    [Fact]
    public async Task A_change_fabricated_by_one_Byzantine_validator_with_keys_of_its_own_is_refused()
    {
        var newest = (await fixture.Honest.ValidatorHistoryAsync(0, limit: 1, newest: true)).Changes.Single();
        var forged = Fabricate(newest, byzantine: 1);
        _proxy.Tamper(RpcMethods.ValidatorHistory, call => call.Params["newest"] is JsonValue v && v.GetValue<bool>(), result =>
            result["changes"] = new JsonArray(System.Text.Json.JsonSerializer.SerializeToNode(forged, RpcJson.Options)));
        var reader = new VerifiedReader(fixture.ThroughProxy, GenesisTrustedAt(Now - TimeSpan.FromDays(1)), TimeSpan.FromMinutes(5), new FakeTimeProvider(Now)) { Skipping = Rule };
        var told = _proxy.LiesTold;

        var refused = await Assert.ThrowsAsync<VerificationException>(() => reader.ResolveAsync(fixture.Late.Id));

        Assert.True(_proxy.LiesTold > told, "the forged newest change was not served");
        Assert.Contains("validator-set change refused", refused.Message);
        Assert.DoesNotContain(reader.Chain.Sets, s => s.Set.Contains(Attacker(0).PublicKey));
    }

    /// <summary>
    /// A change of the same sequence and heights as <paramref name="genuine"/> to a set of the attacker's keys, proven by a
    /// state tree holding only the forged record, under a header with that root, certified by the record's "current" set:
    /// <paramref name="byzantine"/> genesis validators plus attacker keys, signing with all their keys. Everything fits
    /// except how much of the trusted set vouches for it.
    /// </summary>
    private ValidatorChangeView Fabricate(ValidatorChangeView genuine, int byzantine)
    {
        var insiders = Enumerable.Range(0, byzantine).Select(fixture.Net.SignerOf).ToArray();
        ISigner[] signers = [.. insiders, .. Enumerable.Range(0, 4 - byzantine).Select(Attacker)];
        var current = signers.Select((s, i) => new ValidatorEntry(s.PublicKey, $"127.0.0.1:{40000 + i}", 1)).ToArray();
        var pending = Enumerable.Range(10, 4).Select(i => new ValidatorEntry(Attacker(i).PublicKey, $"127.0.0.1:{41000 + i}", 1)).ToArray();
        var height = genuine.Proof.Height;
        var record = Codec.Encode(new ValidatorSetState(current, pending, genuine.FromHeight, genuine.Sequence));
        var tree = SparseMerkleTree.Empty.Set(Hash32.Sha256(StateKeys.Validators), Hash32.Sha256(record));
        var header = new BlockHeader(fixture.Net.Genesis.ChainId, height, 0, Hash32.Sha256("forged-previous"u8.ToArray()), Hash32.Zero, tree.Root, signers[0].PublicKey, (Now - TimeSpan.FromMinutes(2)).ToUnixTimeMilliseconds());
        var message = Vote.SignBytes(fixture.Net.Genesis.ChainId, VoteType.Precommit, height, 0, header.ComputeHash());
        var certificate = new CommitCertificate(height, 0, header.ComputeHash(), [.. signers.Select(s => new CommitSignature(s.PublicKey, s.Sign(message)))]);
        var proof = new StateProofView(height, tree.Root.ToHex(), Convert.ToHexString(StateKeys.Validators).ToLowerInvariant(), Convert.ToBase64String(record),
            Convert.ToBase64String(Codec.Encode(tree.Prove(Hash32.Sha256(StateKeys.Validators)))), Convert.ToBase64String(Codec.Encode(header)), Convert.ToBase64String(Codec.Encode(certificate)));
        return new ValidatorChangeView(genuine.Sequence, genuine.FromHeight, [.. pending.Select(v => new ValidatorView(v.NodeKey.ToHex(), v.Address, v.Power))], proof);
    }

    private static Ed25519Signer Attacker(int i) => Ed25519Signer.FromSeed(Hash32.Sha256(Encoding.UTF8.GetBytes($"skipping-attacker/{i}")).ToArray());
}
