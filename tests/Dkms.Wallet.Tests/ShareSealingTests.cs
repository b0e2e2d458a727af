using Dkms.Wallet.Keys;
using Dkms.Wallet.Recovery;
using Dkms.Wallet.Shamir;

namespace Dkms.Wallet.Tests;

public class ShareSealingTests
{
    private const string Owner = "did:dkms:alice";

    [Fact]
    public void Trustees_reseal_to_a_requester_who_recovers_the_master_secret()
    {
        using var master = MasterSecret.Generate(new SeededRandom(1));
        var trustees = Enumerable.Range(0, 5).Select(i => X25519KeyPair.Generate(new SeededRandom(10 + i))).ToList();
        var shares = SecretSharing.Split(master.Export(), 3, 5, new SeededRandom(2));
        var sealedShares = shares.Select((s, i) => ShareSealing.Seal(s, Owner, trustees[i].PublicKey, new SeededRandom(20 + i))).ToList();

        using var requester = X25519KeyPair.Generate(new SeededRandom(30));
        var resealed = new[] { 4, 0, 2 }.Select(i => ShareSealing.Reseal(sealedShares[i], trustees[i], requester.PublicKey, new SeededRandom(40 + i))).ToList();
        var opened = resealed.Select(s => ShareSealing.Unseal(s, requester, Owner, shares[0].SetId)).ToList();
        Assert.Equal(master.Export(), SecretSharing.Combine(opened));
        trustees.ForEach(t => t.Dispose());
    }

    [Fact]
    public void A_share_for_another_owner_or_set_is_reported_as_foreign()
    {
        using var trustee = X25519KeyPair.Generate(new SeededRandom(1));
        var share = SecretSharing.Split(new byte[32], 2, 3, new SeededRandom(2))[0];
        var sealedShare = ShareSealing.Seal(share, "did:dkms:mallory", trustee.PublicKey, new SeededRandom(3));
        Assert.Equal(ShareError.ForeignShare, Assert.Throws<ShareException>(() => ShareSealing.Unseal(sealedShare, trustee, Owner)).Error);
        var other = ShareSealing.Seal(share, Owner, trustee.PublicKey, new SeededRandom(4));
        Assert.Equal(ShareError.ForeignShare,
            Assert.Throws<ShareException>(() => ShareSealing.Unseal(other, trustee, Owner, share.SetId + 1)).Error);
    }

    [Fact]
    public void Relabelling_a_sealed_share_breaks_it()
    {
        using var trustee = X25519KeyPair.Generate(new SeededRandom(1));
        var share = SecretSharing.Split(new byte[32], 2, 3, new SeededRandom(2))[1];
        var sealedShare = ShareSealing.Seal(share, "did:dkms:mallory", trustee.PublicKey, new SeededRandom(3));
        var relabelled = sealedShare with { Owner = Owner };
        Assert.Throws<Encryption.DecryptionException>(() => ShareSealing.Unseal(relabelled, trustee, Owner));
        Assert.Throws<Encryption.DecryptionException>(() => ShareSealing.Unseal(sealedShare with { ShareIndex = 0 }, trustee, "did:dkms:mallory"));
    }
}
