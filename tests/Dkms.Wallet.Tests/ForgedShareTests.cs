using Dkms.Wallet.Encryption;
using Dkms.Wallet.Keys;
using Dkms.Wallet.Recovery;
using Dkms.Wallet.Shamir;

namespace Dkms.Wallet.Tests;

/// <summary>
/// Hand-made share sets an attacker (or a broken copy) can present: every one must be refused with a
/// <see cref="ShareException"/> naming what is wrong, never combined into some other secret.
/// </summary>
public class ForgedShareTests
{
    private const string Owner = "did:dkms:alice";

    private static byte[] Secret(int seed, int length = 32)
    {
        var secret = new byte[length];
        new SeededRandom(seed).Fill(secret);
        return secret;
    }

    [Fact]
    public void A_single_share_claiming_threshold_one_is_refused()
    {
        // threshold 1 has no digest: the lone "share" would simply be the secret the forger chose
        var chosen = Secret(1);
        var forged = new ShamirShare(42, 1, 0, chosen);
        var ex = Assert.Throws<ShareException>(() => SecretSharing.Combine([forged]));
        Assert.Equal(ShareError.Malformed, ex.Error);
        Assert.Contains("threshold", ex.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(17)]
    [InlineData(255)]
    public void A_threshold_outside_two_to_sixteen_is_refused(int threshold)
    {
        var shares = Enumerable.Range(0, 3).Select(i => new ShamirShare(7, (byte)threshold, (byte)i, Secret(10 + i))).ToList();
        var ex = Assert.Throws<ShareException>(() => SecretSharing.Combine(shares));
        Assert.Equal(ShareError.Malformed, ex.Error);
    }

    [Theory]
    [InlineData(16)]
    [InlineData(254)] // where the digest share lives
    [InlineData(255)] // where the secret lives
    public void An_index_outside_the_split_is_refused(int index)
    {
        var shares = SecretSharing.Split(Secret(2), 2, 3, new SeededRandom(3)).ToList();
        shares[1] = shares[1] with { Index = (byte)index };
        var ex = Assert.Throws<ShareException>(() => SecretSharing.Combine(shares));
        Assert.Equal(ShareError.Malformed, ex.Error);
        Assert.Contains("index", ex.Message);
    }

    [Fact]
    public void The_same_share_given_twice_is_refused()
    {
        var shares = SecretSharing.Split(Secret(4), 2, 3, new SeededRandom(5));
        var ex = Assert.Throws<ShareException>(() => SecretSharing.Combine([shares[0], shares[1], shares[1]]));
        Assert.Equal(ShareError.DuplicateShare, ex.Error);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(4)]
    public void Share_values_too_short_to_hold_a_digest_are_refused(int length)
    {
        var shares = Enumerable.Range(0, 2).Select(i => new ShamirShare(9, 2, (byte)i, new byte[length])).ToList();
        var ex = Assert.Throws<ShareException>(() => SecretSharing.Combine(shares));
        Assert.Equal(ShareError.Malformed, ex.Error);
    }

    [Fact]
    public void Shares_of_different_lengths_are_refused()
    {
        var shares = SecretSharing.Split(Secret(6), 2, 3, new SeededRandom(7)).ToList();
        shares[0] = shares[0] with { Value = [.. shares[0].Value, 0] };
        Assert.Equal(ShareError.Inconsistent, Assert.Throws<ShareException>(() => SecretSharing.Combine(shares)).Error);
    }

    [Fact]
    public void A_share_encoding_with_an_impossible_threshold_or_index_does_not_decode()
    {
        var share = SecretSharing.Split(Secret(8), 2, 3, new SeededRandom(9))[0];
        var bytes = share.ToBytes();
        bytes[8] = 1; // threshold
        Assert.Equal(ShareError.Malformed, Assert.Throws<ShareException>(() => ShamirShare.FromBytes(bytes)).Error);
        bytes = share.ToBytes();
        bytes[9] = 255; // index
        Assert.Equal(ShareError.Malformed, Assert.Throws<ShareException>(() => ShamirShare.FromBytes(bytes)).Error);
        Assert.Equal(ShareError.Malformed, Assert.Throws<ShareException>(() => ShamirShare.FromBytes(new byte[20_000])).Error);
    }

    [Fact]
    public void A_sealed_share_labelled_threshold_one_is_refused_before_it_is_combined()
    {
        // Anyone can seal to a requester's public key: a forger seals "the" master secret as a 1-of-1 share.
        using var requester = X25519KeyPair.Generate(new SeededRandom(1));
        var forged = new ShamirShare(1, 1, 0, Secret(11));
        Assert.Equal(ShareError.Malformed, Assert.Throws<ShareException>(() => ShareSealing.Seal(forged, Owner, requester.PublicKey)).Error);
        // the forger does not need this library to seal: a box with the right labels and context is enough
        var labels = new SealedShare(Owner, forged.SetId, forged.Threshold, forged.Index, requester.PublicKey, []);
        var sealedShare = labels with { Box = SealedBox.Seal(requester.PublicKey, forged.ToBytes(), labels.Context(), new SeededRandom(2)) };
        var ex = Assert.Throws<ShareException>(() => ShareSealing.Unseal(sealedShare, requester, Owner));
        Assert.Equal(ShareError.Malformed, ex.Error);
    }

    [Fact]
    public void Sealed_shares_with_labels_out_of_range_are_refused_before_opening()
    {
        using var requester = X25519KeyPair.Generate(new SeededRandom(1));
        var share = SecretSharing.Split(Secret(12), 2, 3, new SeededRandom(13))[0];
        var sealedShare = ShareSealing.Seal(share, Owner, requester.PublicKey, new SeededRandom(2));
        Assert.Equal(ShareError.Malformed, Assert.Throws<ShareException>(() => ShareSealing.Unseal(sealedShare with { ShareIndex = 200 }, requester, Owner)).Error);
        Assert.Equal(ShareError.Malformed, Assert.Throws<ShareException>(() => ShareSealing.Unseal(sealedShare with { Threshold = 0 }, requester, Owner)).Error);
        Assert.Equal(ShareError.Malformed, Assert.Throws<ShareException>(() => ShareSealing.Unseal(sealedShare with { Box = new byte[100_000] }, requester, Owner)).Error);
    }
}
