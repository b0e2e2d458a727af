using Dkms.Wallet.Keys;
using Dkms.Wallet.Recovery;
using Dkms.Wallet.Shamir;

namespace Dkms.Wallet.Tests;

/// <summary>The anchor for restored secrets: a master secret is the owner's only if it derives the owner's keys.</summary>
public class SigningKeySearchTests
{
    [Fact]
    public void The_owners_secret_is_found_at_its_identity_and_rotation_after_rotations()
    {
        using var owner = MasterSecret.Generate(new SeededRandom(1));
        var ledgerKeys = owner.SigningPublicKeys(identity: 3, rotation: 5, count: 2);
        Assert.Equal(new SigningKeyPath(3, 5), SigningKeySearch.Find(owner, ledgerKeys));
    }

    [Fact]
    public void A_consistent_share_set_forged_for_a_chosen_secret_combines_but_derives_none_of_the_owners_keys()
    {
        using var owner = MasterSecret.Generate(new SeededRandom(1));
        var ledgerKeys = owner.SigningPublicKeys(0, 0, 1);
        using var requester = X25519KeyPair.Generate(new SeededRandom(2));

        // The request key is public: the forger splits a secret of its choice and seals every share to it.
        using var chosen = MasterSecret.Generate(new SeededRandom(3));
        var forged = SecretSharing.Split(chosen.Export(), 2, 2, new SeededRandom(4))
            .Select((s, i) => ShareSealing.Seal(s, "did:dkms:owner", requester.PublicKey, new SeededRandom(10 + i))).ToList();
        var combined = SecretSharing.Combine(forged.Select(s => ShareSealing.Unseal(s, requester, "did:dkms:owner")).ToList());
        using var restored = MasterSecret.FromBytes(combined);

        Assert.Null(SigningKeySearch.Find(restored, ledgerKeys)); // the digests alone cannot tell; the ledger's keys can
        Assert.NotNull(SigningKeySearch.Find(owner, ledgerKeys));
    }

    [Fact]
    public void Keys_beyond_the_searched_rotations_or_no_keys_are_not_found()
    {
        using var owner = MasterSecret.Generate(new SeededRandom(1));
        Assert.Null(SigningKeySearch.Find(owner, owner.SigningPublicKeys(0, SigningKeySearch.Rotations, 1)));
        Assert.Null(SigningKeySearch.Find(owner, []));
    }
}
