using Dkms.Client.Tests.Support;

namespace Dkms.Client.Tests;

/// <summary>
/// A header whose certificate a chain has verified is not verified again (<see cref="CertifiedHeaders"/>): a second answer
/// under it needs only its Merkle proof. The cache never certifies anything else: another header, or the same header for a
/// chain that has not verified it, still needs a certificate that verifies.
/// </summary>
[Collection(LyingNodeCollection.Name)]
public sealed class CertifiedHeadersTests(LyingNodeFixture fixture)
{
    private static readonly Freshness NoAgeBound = new(TimeSpan.MaxValue);

    [Fact]
    public async Task A_header_certified_once_is_taken_as_certified_by_that_chain_only()
    {
        var owner = fixture.Owner("certified-once");
        var height = await owner.InceptAsync();
        var answer = await fixture.Honest.ResolveAsync(owner.Id, height, proof: true);
        var query = new IdentityQuery(owner.Id, height);
        var chain = fixture.Chain;
        var garbled = answer with { Proof = answer.Proof! with { Certificate = Convert.ToBase64String(new byte[40]) } };

        Assert.False(ProofVerifier.VerifyIdentity(garbled, query, chain, NoAgeBound).IsValid); // not certified yet
        Assert.True(ProofVerifier.VerifyIdentity(answer, query, chain, NoAgeBound).IsValid);
        Assert.True(chain.CertifiedHeaders.Count > 0);

        // The header is certified for this chain: the certificate is not read again.
        Assert.True(ProofVerifier.VerifyIdentity(garbled, query, chain, NoAgeBound).IsValid);
        // Another chain (another trust root, even of the same genesis) verifies for itself.
        var refused = ProofVerifier.VerifyIdentity(garbled, query, fixture.Chain, NoAgeBound);
        Assert.False(refused.IsValid);
        Assert.Contains("certificate", refused.Error);
    }

    [Fact]
    public async Task A_certified_header_does_not_vouch_for_another_height()
    {
        var owner = fixture.Owner("certified-other-height");
        var first = await owner.InceptAsync();
        var second = await owner.RotateAsync();
        var chain = fixture.Chain;
        Assert.True(ProofVerifier.VerifyIdentity(await fixture.Honest.ResolveAsync(owner.Id, first, proof: true), new IdentityQuery(owner.Id, first), chain, NoAgeBound).IsValid);

        var later = await fixture.Honest.ResolveAsync(owner.Id, second, proof: true);
        var garbled = later with { Proof = later.Proof! with { Certificate = Convert.ToBase64String(new byte[40]) } };

        Assert.False(ProofVerifier.VerifyIdentity(garbled, new IdentityQuery(owner.Id, second), chain, NoAgeBound).IsValid);
    }
}
