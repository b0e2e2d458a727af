using System.Text;
using System.Text.Json.Nodes;
using Dkms.Client.Tests.Support;
using Dkms.Core.Blocks;
using Dkms.Core.Crypto;
using Dkms.Core.Encoding;
using Dkms.Core.Primitives;
using Dkms.Core.Transactions;
using Dkms.Ledger.State;
using Dkms.Rpc;

namespace Dkms.Client.Tests;

/// <summary>
/// A lying node forges the validator-set history (<c>chain.validatorHistory</c>) a client follows: a certificate by keys the
/// trusted set does not hold, a set other than the proven one, a record rewritten to match it, a change left out or
/// renumbered, the changes hidden. Each is refused, the reader keeps the chain it trusted, and the honest history passes.
/// </summary>
[Collection(FollowingCollection.Name)]
public sealed class ForgedValidatorChangeTests(FollowingFixture fixture) : IDisposable
{
    private readonly LyingProxy _proxy = fixture.Proxy;

    public void Dispose() => _proxy.BeHonest();

    public static TheoryData<string> Lies => [.. LieNames];

    private static readonly string[] LieNames =
    [
        "certificate by keys outside the chain",
        "certificate by the set after the change",
        "a set other than the proven one",
        "a set and a record rewritten to match",
        "a change left out",
        "the second change renumbered as the first",
        "a change listed twice",
        "the changes hidden",
    ];

    [Theory]
    [MemberData(nameof(Lies))]
    public async Task A_forged_change_is_refused_and_the_reader_keeps_its_trusted_chain(string lie)
    {
        _proxy.Tamper(RpcMethods.ValidatorHistory, _ => true, result => Forge(lie, (JsonArray)result["changes"]!));
        var reader = new VerifiedReader(fixture.ThroughProxy, fixture.Genesis, TimeSpan.FromMinutes(5));
        var told = _proxy.LiesTold;

        var refused = await Assert.ThrowsAsync<VerificationException>(() => reader.ResolveAsync(fixture.Late.Id));

        // Refused while following (not only because the answer then fails against a wrong set); hidden changes leave
        // nothing to refuse there, and the answer, certified by a set the reader does not know, is refused instead.
        if (lie == "the changes hidden") Assert.Contains("commit certificate", refused.Message);
        else Assert.Contains("validator-set change refused", refused.Message);

        Assert.True(_proxy.LiesTold > told, $"the lie ({lie}) was not served");
        Assert.Single(reader.Chain.Sets);
        _proxy.BeHonest();
        Assert.NotNull((await reader.ResolveAsync(fixture.Late.Id)).Value);
        Assert.Equal([0UL, 1, 2], reader.Chain.Sets.Select(s => s.Sequence));
    }

    [Fact]
    public async Task Each_change_follows_from_the_proof_the_set_before_it_signed()
    {
        var chain = fixture.Genesis;
        var history = await fixture.Honest.ValidatorHistoryAsync(0);
        Assert.Equal(2, history.Changes.Length);
        Assert.False(history.More);
        foreach (var change in history.Changes)
        {
            var followed = ValidatorHistory.Follow(chain, change);
            Assert.True(followed.IsValid, followed.Error);
            chain = followed.Value!;
        }

        var net = fixture.Net;
        var added = fixture.Changes.NewNode;
        Assert.Equal([fixture.Changes.Added, fixture.Changes.Removed], history.Changes.Select(c => c.Proof.Height));
        Assert.Equal(fixture.Changes.Added + Governance.ActivationDelay, chain.Sets[1].FromHeight);
        Assert.Equal(fixture.Changes.Removed + Governance.ActivationDelay, chain.Sets[2].FromHeight);
        Assert.Same(chain.Sets[0].Set, chain.SetAt(chain.Sets[1].FromHeight - 1));
        Assert.True(chain.SetAt(chain.Sets[1].FromHeight)!.Contains(net.KeyOf(added)));
        Assert.True(chain.SetAt(chain.Sets[1].FromHeight)!.Contains(net.KeyOf(3)));
        Assert.False(chain.SetAt(chain.Sets[2].FromHeight)!.Contains(net.KeyOf(3)));
        Assert.Equal(5, chain.SetAt(ulong.MaxValue)!.TotalPower);
    }

    [Fact]
    public async Task The_history_comes_in_bounded_pages_from_the_trusted_sequence()
    {
        var first = await fixture.Honest.ValidatorHistoryAsync(0, limit: 1);
        Assert.Equal([1UL], first.Changes.Select(c => c.Sequence));
        Assert.True(first.More);
        var second = await fixture.Honest.ValidatorHistoryAsync(1, limit: 1);
        Assert.Equal([2UL], second.Changes.Select(c => c.Sequence));
        Assert.False(second.More);
        Assert.Empty((await fixture.Honest.ValidatorHistoryAsync(2)).Changes);
        var tooMany = await Assert.ThrowsAsync<RpcException>(() => fixture.Honest.ValidatorHistoryAsync(0, limit: 65));
        Assert.Equal(RpcErrorCodes.InvalidParams, tooMany.Code);
    }

    [Fact]
    public async Task A_reader_trusting_a_set_at_a_height_follows_from_there_and_verifies_nothing_below_it()
    {
        var history = await fixture.Honest.ValidatorHistoryAsync(0);
        var afterFirst = ValidatorHistory.Follow(fixture.Genesis, history.Changes[0]).Value!.Latest;
        var trusted = TrustedChain.FromTrustedSet(InProcessTestnetChainId, afterFirst.Set, afterFirst.FromHeight, afterFirst.Sequence);
        var reader = new VerifiedReader(fixture.Honest, trusted, TimeSpan.FromMinutes(5));

        Assert.NotNull((await reader.ResolveAsync(fixture.Late.Id)).Value);
        Assert.Equal([1UL, 2], reader.Chain.Sets.Select(s => s.Sequence));
        await Assert.ThrowsAsync<VerificationException>(() => reader.ResolveAsync(fixture.Early.Id, fixture.EarlyHeight));
    }

    private const string InProcessTestnetChainId = Dkms.Node.Testing.InProcessTestnet.ChainId;

    private void Forge(string lie, JsonArray changes)
    {
        var first = (JsonObject)changes[0]!;
        switch (lie)
        {
            case "certificate by keys outside the chain":
                Resign(first, Enumerable.Range(0, 4).Select(i => Key($"outsider-{i}")));
                break;
            case "certificate by the set after the change":
                Resign(first, new[] { 0, 1, 2, fixture.Changes.NewNode }.Select(fixture.Net.SignerOf));
                break;
            case "a set other than the proven one":
                first["validators"]![4]!["nodeKey"] = Key("impostor").PublicKey.ToHex();
                break;
            case "a set and a record rewritten to match":
                first["validators"]![4]!["nodeKey"] = Key("impostor").PublicKey.ToHex();
                var proof = first["proof"]!;
                var state = Codec.Decode<ValidatorSetState>(Convert.FromBase64String(proof["value"]!.GetValue<string>()));
                var pending = state.Pending!.ToArray();
                pending[4] = pending[4] with { NodeKey = Key("impostor").PublicKey };
                proof["value"] = Convert.ToBase64String(Codec.Encode(state with { Pending = pending }));
                break;
            case "a change left out":
                changes.RemoveAt(0);
                break;
            case "the second change renumbered as the first":
                changes.RemoveAt(0);
                changes[0]!["sequence"] = 1;
                break;
            case "a change listed twice":
                changes.Insert(1, first.DeepClone());
                break;
            case "the changes hidden":
                changes.Clear();
                break;
            default:
                throw new ArgumentException(lie);
        }
    }

    /// <summary>Replaces the change's commit certificate with one for the same block, validly signed by <paramref name="signers"/>.</summary>
    private static void Resign(JsonObject change, IEnumerable<ISigner> signers)
    {
        var proof = change["proof"]!;
        var genuine = Codec.Decode<CommitCertificate>(Convert.FromBase64String(proof["certificate"]!.GetValue<string>()));
        var message = Vote.SignBytes(InProcessTestnetChainId, VoteType.Precommit, genuine.Height, genuine.Round, genuine.BlockHash);
        var forged = new CommitCertificate(genuine.Height, genuine.Round, genuine.BlockHash, [.. signers.Select(s => new CommitSignature(s.PublicKey, s.Sign(message)))]);
        proof["certificate"] = Convert.ToBase64String(Codec.Encode(forged));
    }

    private static Ed25519Signer Key(string seed) => Ed25519Signer.FromSeed(Hash32.Sha256(Encoding.UTF8.GetBytes("forged-change/" + seed)).ToArray());
}
