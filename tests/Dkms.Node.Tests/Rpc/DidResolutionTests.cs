using System.Globalization;
using System.Net;
using System.Text.Json;
using Dkms.Client;
using Dkms.Core.Primitives;
using Dkms.Core.Transactions;
using Dkms.Node.Tests.Support;
using Dkms.Rpc;

namespace Dkms.Node.Tests.Rpc;

/// <summary>
/// <c>GET /1.0/identifiers/{did}</c> as a W3C/DIF resolver client uses it: past versions by <c>versionId</c> and
/// <c>versionTime</c> (with a proof that verifies), other DID methods, deactivated DIDs, the bare-document
/// representation, and HTTP caching by ETag.
/// </summary>
public sealed class DidResolutionTests(RpcTestnetFixture fixture) : IClassFixture<RpcTestnetFixture>
{
    private readonly HttpClient _http = fixture.Http;

    private TestIdentity Person(string name) => new($"{nameof(DidResolutionTests)}/{name}", fixture.Builder);

    private async Task<SubmitResult> CommitAsync(Transaction tx)
    {
        var r = await fixture.Client.SubmitAsync(tx, SubmitModes.Commit, 30_000);
        Assert.Equal(TxStatuses.Committed, r.Status);
        return r;
    }

    private async Task<(HttpResponseMessage Response, JsonElement Json)> GetAsync(string path, string? accept = null, string? ifNoneMatch = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (accept is not null) request.Headers.Accept.ParseAdd(accept);
        if (ifNoneMatch is not null) request.Headers.TryAddWithoutValidation("If-None-Match", ifNoneMatch);
        var response = await _http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    /// <summary>Alice: inception (version 1), a key-agreement key (2), a rotation (3), each in its own block.</summary>
    private async Task<(TestIdentity Alice, SubmitResult[] Commits)> HistoryAsync(string name)
    {
        var alice = Person(name);
        var v1 = await CommitAsync(alice.Incept());
        var v2 = await CommitAsync(alice.AddKeyAgreementKey("enc-1", Ed25519KeyOf(name)));
        var v3 = await CommitAsync(alice.Rotate());
        return (alice, [v1, v2, v3]);
    }

    private static PublicKey Ed25519KeyOf(string name) => Core.Crypto.Ed25519Signer.FromSeed(Hash32.Sha256(System.Text.Encoding.UTF8.GetBytes(name)).ToArray()).PublicKey;

    private static string SigningKey(JsonElement result) =>
        result.GetProperty("didDocument").GetProperty("verificationMethod").EnumerateArray()
            .Single(m => m.GetProperty("type").GetString() == "Ed25519VerificationKey2020").GetProperty("publicKeyMultibase").GetString()!;

    private static string Multibase(PublicKey key) => "z" + Base58.Encode([0xed, 0x01, .. key.ToArray()]);

    [Fact]
    public async Task A_past_version_is_served_by_versionId_with_its_successor_named_and_cacheable_for_good()
    {
        var (alice, _) = await HistoryAsync("versions");

        var (r1, v1) = await GetAsync($"1.0/identifiers/{alice.Id}?versionId=1");
        Assert.Equal(HttpStatusCode.OK, r1.StatusCode);
        Assert.Equal(Multibase(alice.KeyAt(0).PublicKey), SigningKey(v1));
        Assert.Empty(v1.GetProperty("didDocument").GetProperty("keyAgreement").EnumerateArray());
        var meta = v1.GetProperty("didDocumentMetadata");
        Assert.Equal("1", meta.GetProperty("versionId").GetString());
        Assert.Equal("2", meta.GetProperty("nextVersionId").GetString());
        Assert.True(meta.TryGetProperty("nextUpdate", out _));
        Assert.Contains("immutable", r1.Headers.CacheControl!.ToString(), StringComparison.Ordinal);

        var (_, v2) = await GetAsync($"1.0/identifiers/{alice.Id}?versionId=2");
        Assert.Equal(Multibase(alice.KeyAt(0).PublicKey), SigningKey(v2));
        Assert.Single(v2.GetProperty("didDocument").GetProperty("keyAgreement").EnumerateArray());

        var (r3, v3) = await GetAsync($"1.0/identifiers/{alice.Id}?versionId=3");
        Assert.Equal(Multibase(alice.KeyAt(1).PublicKey), SigningKey(v3));
        Assert.False(v3.GetProperty("didDocumentMetadata").TryGetProperty("nextVersionId", out _));
        Assert.True(r3.Headers.CacheControl!.NoCache); // the current version can change with the next block

        var (r4, v4) = await GetAsync($"1.0/identifiers/{alice.Id}?versionId=4");
        Assert.Equal(HttpStatusCode.NotFound, r4.StatusCode);
        Assert.Equal("notFound", v4.GetProperty("didResolutionMetadata").GetProperty("error").GetString());

        var (bad, badJson) = await GetAsync($"1.0/identifiers/{alice.Id}?versionId=first");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("invalidOptions", badJson.GetProperty("didResolutionMetadata").GetProperty("error").GetString());

        // The same option inside the DID URL (percent-encoded into the path), as a DID URL dereferencer sends it.
        var (_, inUrl) = await GetAsync($"1.0/identifiers/{Uri.EscapeDataString($"{alice.Id}?versionId=1")}");
        Assert.Equal("1", inUrl.GetProperty("didDocumentMetadata").GetProperty("versionId").GetString());
    }

    [Fact]
    public async Task A_past_version_comes_with_a_proof_that_verifies_against_the_genesis_validators()
    {
        var (alice, commits) = await HistoryAsync("proof");

        var (response, v1) = await GetAsync($"1.0/identifiers/{alice.Id}?versionId=1&proof=true");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var proof = v1.GetProperty("didResolutionMetadata").GetProperty("proof").Deserialize<StateProofView>(RpcJson.Options)!;
        Assert.Equal(commits[0].Height, proof.Height);

        // Verified as a client verifies identity.resolve: the certified header, the Merkle proof, the asked height.
        var readable = (await fixture.Client.ResolveAsync(alice.Id, proof.Height)).Identity;
        var answer = new ResolveResult(alice.Id.ToString(), proof.Height, readable, proof);
        var verified = ProofVerifier.VerifyIdentity(answer, new IdentityQuery(alice.Id, proof.Height), TrustedChain.FromGenesis(fixture.Net.Genesis), Freshness.Default);
        Assert.True(verified.IsValid, verified.Error);
        Assert.Equal(1UL, verified.Value!.Sequence);

        // A proof that is not the version's fails: the node cannot pass off version 3's proof as version 1's.
        var (_, v3) = await GetAsync($"1.0/identifiers/{alice.Id}?versionId=3&proof=true");
        var other = v3.GetProperty("didResolutionMetadata").GetProperty("proof").Deserialize<StateProofView>(RpcJson.Options)!;
        var swapped = new ResolveResult(alice.Id.ToString(), proof.Height, readable, other);
        Assert.False(ProofVerifier.VerifyIdentity(swapped, new IdentityQuery(alice.Id, proof.Height), TrustedChain.FromGenesis(fixture.Net.Genesis), Freshness.Default).IsValid);
    }

    [Fact]
    public async Task A_version_older_than_the_kept_proofs_is_served_and_says_why_it_has_no_proof()
    {
        var (alice, commits) = await HistoryAsync("old");
        // Move the chain past the proof window (the last ProofHistoryHeights heights keep their trees).
        var window = (ulong)fixture.Net.Host(0).Node.Ledger.Options.ProofHistoryHeights;
        var filler = 0;
        while ((await fixture.Client.NodeStatusAsync()).Height <= commits[0].Height + window)
        {
            await CommitAsync(Person($"old-filler-{filler++}").Incept());
        }

        var (response, v1) = await GetAsync($"1.0/identifiers/{alice.Id}?versionId=1&proof=true");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Multibase(alice.KeyAt(0).PublicKey), SigningKey(v1));
        var metadata = v1.GetProperty("didResolutionMetadata");
        Assert.False(metadata.TryGetProperty("proof", out _));
        Assert.Contains($"last {window} heights", metadata.GetProperty("proofUnavailable").GetString(), StringComparison.Ordinal);

        // The current version is still provable.
        var (_, latest) = await GetAsync($"1.0/identifiers/{alice.Id}?proof=true");
        Assert.True(latest.GetProperty("didResolutionMetadata").TryGetProperty("proof", out _));
    }

    [Fact]
    public async Task VersionTime_serves_the_version_in_force_at_that_time()
    {
        var (alice, _) = await HistoryAsync("time");
        var events = await fixture.Client.EventsAsync(alice.Id);
        string At(ulong ms) => DateTimeOffset.FromUnixTimeMilliseconds((long)ms).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

        // At the block time of version 2 and until version 3's block, version 2 is in force.
        Assert.True(events[2].BlockTimeMs > events[1].BlockTimeMs);
        var (_, atTwo) = await GetAsync($"1.0/identifiers/{alice.Id}?versionTime={At(events[1].BlockTimeMs)}");
        Assert.Equal("2", atTwo.GetProperty("didDocumentMetadata").GetProperty("versionId").GetString());
        var (_, beforeThree) = await GetAsync($"1.0/identifiers/{alice.Id}?versionTime={At(events[2].BlockTimeMs - 1)}");
        Assert.Equal("2", beforeThree.GetProperty("didDocumentMetadata").GetProperty("versionId").GetString());
        var (_, atThree) = await GetAsync($"1.0/identifiers/{alice.Id}?versionTime={At(events[2].BlockTimeMs)}");
        Assert.Equal("3", atThree.GetProperty("didDocumentMetadata").GetProperty("versionId").GetString());

        var (before, _) = await GetAsync($"1.0/identifiers/{alice.Id}?versionTime={At(events[0].BlockTimeMs - 1)}");
        Assert.Equal(HttpStatusCode.NotFound, before.StatusCode);

        var (noZone, noZoneJson) = await GetAsync($"1.0/identifiers/{alice.Id}?versionTime=2026-01-01T00:00:00");
        Assert.Equal(HttpStatusCode.BadRequest, noZone.StatusCode);
        Assert.Equal("invalidOptions", noZoneJson.GetProperty("didResolutionMetadata").GetProperty("error").GetString());
        var (both, _) = await GetAsync($"1.0/identifiers/{alice.Id}?versionId=1&versionTime={At(events[0].BlockTimeMs)}");
        Assert.Equal(HttpStatusCode.BadRequest, both.StatusCode);
    }

    [Fact]
    public async Task A_deactivated_did_is_410_gone_and_its_earlier_versions_still_resolve()
    {
        var alice = Person("gone");
        await CommitAsync(alice.Incept());
        await CommitAsync(fixture.Builder.Deactivate(alice.Id, 2, [alice.KeyAt(1)]));

        var (response, json) = await GetAsync($"1.0/identifiers/{alice.Id}");
        Assert.Equal(HttpStatusCode.Gone, response.StatusCode);
        Assert.True(json.GetProperty("didDocumentMetadata").GetProperty("deactivated").GetBoolean());
        Assert.Empty(json.GetProperty("didDocument").GetProperty("verificationMethod").EnumerateArray());

        var (bare, _) = await GetAsync($"1.0/identifiers/{alice.Id}", accept: "application/did+ld+json");
        Assert.Equal(HttpStatusCode.Gone, bare.StatusCode);

        var (old, oldJson) = await GetAsync($"1.0/identifiers/{alice.Id}?versionId=1");
        Assert.Equal(HttpStatusCode.OK, old.StatusCode);
        Assert.Equal(Multibase(alice.KeyAt(0).PublicKey), SigningKey(oldJson));
    }

    [Theory]
    [InlineData("did:example:123")]
    [InlineData("did:web:example.com")]
    [InlineData("did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK")]
    public async Task Another_did_method_is_501_methodNotSupported(string did)
    {
        var (response, json) = await GetAsync($"1.0/identifiers/{Uri.EscapeDataString(did)}");
        Assert.Equal(HttpStatusCode.NotImplemented, response.StatusCode);
        Assert.Equal("methodNotSupported", json.GetProperty("didResolutionMetadata").GetProperty("error").GetString());
    }

    [Fact]
    public async Task Accept_did_ld_json_returns_the_bare_document_and_an_unserved_type_is_406()
    {
        var alice = Person("bare");
        await CommitAsync(alice.Incept());

        var (response, doc) = await GetAsync($"1.0/identifiers/{alice.Id}", accept: "application/did+ld+json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/did+ld+json", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal(alice.Id.ToString(), doc.GetProperty("id").GetString());
        Assert.True(doc.TryGetProperty("@context", out _));
        Assert.False(doc.TryGetProperty("didDocument", out _));

        var (preferred, _) = await GetAsync($"1.0/identifiers/{alice.Id}", accept: "application/json;q=0.5, application/did+ld+json");
        Assert.Equal("application/did+ld+json", preferred.Content.Headers.ContentType!.MediaType);

        var (result, full) = await GetAsync($"1.0/identifiers/{alice.Id}", accept: "application/ld+json;profile=\"https://w3id.org/did-resolution\"");
        Assert.Equal("application/ld+json", result.Content.Headers.ContentType!.MediaType);
        Assert.True(full.TryGetProperty("didDocument", out _));

        var (html, error) = await GetAsync($"1.0/identifiers/{alice.Id}", accept: "text/html");
        Assert.Equal(HttpStatusCode.NotAcceptable, html.StatusCode);
        Assert.Equal("representationNotSupported", error.GetProperty("didResolutionMetadata").GetProperty("error").GetString());
    }

    [Fact]
    public async Task The_etag_revalidates_to_304_until_the_identity_changes()
    {
        var alice = Person("etag");
        await CommitAsync(alice.Incept());
        var (first, _) = await GetAsync($"1.0/identifiers/{alice.Id}");
        var etag = first.Headers.ETag!.ToString();
        Assert.True(first.Headers.CacheControl!.NoCache);
        Assert.Equal("Accept", first.Headers.Vary.Single());

        // Other identities' blocks move the chain on; alice's document, and so its tag, stays.
        await CommitAsync(Person("etag-other").Incept());
        var (same, body) = await GetAsync($"1.0/identifiers/{alice.Id}", ifNoneMatch: etag);
        Assert.Equal(HttpStatusCode.NotModified, same.StatusCode);
        Assert.Equal(JsonValueKind.Undefined, body.ValueKind);

        // The bare document is another representation: another tag.
        var (bare, _) = await GetAsync($"1.0/identifiers/{alice.Id}", accept: "application/did+ld+json", ifNoneMatch: etag);
        Assert.Equal(HttpStatusCode.OK, bare.StatusCode);
        Assert.NotEqual(etag, bare.Headers.ETag!.ToString());

        await CommitAsync(alice.Rotate());
        var (changed, json) = await GetAsync($"1.0/identifiers/{alice.Id}", ifNoneMatch: etag);
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.NotEqual(etag, changed.Headers.ETag!.ToString());
        Assert.Equal(Multibase(alice.KeyAt(1).PublicKey), SigningKey(json));
    }
}
