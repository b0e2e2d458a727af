using Dkms.Wallet.Shamir;

namespace Dkms.Wallet.Tests;

public class ShamirTests
{
    public static TheoryData<int, int> Schemes()
    {
        var data = new TheoryData<int, int>();
        for (var n = 2; n <= 7; n++)
        {
            for (var m = 2; m <= Math.Min(n, 5); m++) data.Add(m, n);
        }

        return data;
    }

    private static IEnumerable<List<T>> Subsets<T>(IReadOnlyList<T> items, int size, int start = 0)
    {
        if (size == 0)
        {
            yield return [];
            yield break;
        }

        for (var i = start; i <= items.Count - size; i++)
        {
            foreach (var rest in Subsets(items, size - 1, i + 1)) yield return [items[i], .. rest];
        }
    }

    [Theory]
    [MemberData(nameof(Schemes))]
    public void Every_subset_of_threshold_size_recovers_the_secret(int m, int n)
    {
        var secret = new byte[32];
        new SeededRandom(m * 100 + n).Fill(secret);
        var shares = SecretSharing.Split(secret, m, n, new SeededRandom(n));
        var count = 0;
        foreach (var subset in Subsets(shares, m))
        {
            Assert.Equal(secret, SecretSharing.Combine(subset));
            count++;
        }

        Assert.Equal(Binomial(n, m), count);
    }

    private static int Binomial(int n, int k) => k == 0 ? 1 : Binomial(n - 1, k - 1) * n / k;

    [Theory]
    [MemberData(nameof(Schemes))]
    public void Fewer_than_threshold_shares_are_reported_as_insufficient(int m, int n)
    {
        var shares = SecretSharing.Split(new byte[32], m, n, new SeededRandom(1));
        foreach (var subset in Subsets(shares, m - 1))
        {
            var ex = Assert.Throws<ShareException>(() => SecretSharing.Combine(subset));
            Assert.Equal(ShareError.InsufficientShares, ex.Error);
        }
    }

    [Theory]
    [InlineData(2, 3, 0, 0)]
    [InlineData(3, 5, 1, 17)]
    [InlineData(5, 7, 4, 31)]
    public void A_corrupted_share_is_detected_by_the_digest(int m, int n, int which, int bytePosition)
    {
        var secret = new byte[32];
        new SeededRandom(7).Fill(secret);
        var shares = SecretSharing.Split(secret, m, n, new SeededRandom(8)).Take(m).ToList();
        var value = (byte[])shares[which].Value.Clone();
        value[bytePosition] ^= 0x01;
        shares[which] = shares[which] with { Value = value };
        var ex = Assert.Throws<ShareException>(() => SecretSharing.Combine(shares));
        Assert.Equal(ShareError.DigestMismatch, ex.Error);
    }

    [Fact]
    public void A_corrupted_share_beyond_the_threshold_is_detected_too()
    {
        var secret = new byte[32];
        new SeededRandom(9).Fill(secret);
        var shares = SecretSharing.Split(secret, 3, 5, new SeededRandom(10)).ToList();
        Assert.Equal(secret, SecretSharing.Combine(shares));
        var value = (byte[])shares[4].Value.Clone();
        value[3] ^= 0x20;
        shares[4] = shares[4] with { Value = value };
        Assert.Equal(ShareError.DigestMismatch, Assert.Throws<ShareException>(() => SecretSharing.Combine(shares)).Error);
    }

    [Fact]
    public void Shares_of_two_different_splits_are_not_combined()
    {
        var a = SecretSharing.Split(new byte[32], 2, 3, new SeededRandom(1));
        var b = SecretSharing.Split(new byte[32], 2, 3, new SeededRandom(2));
        var ex = Assert.Throws<ShareException>(() => SecretSharing.Combine([a[0], b[1]]));
        Assert.Equal(ShareError.Inconsistent, ex.Error);
    }

    [Fact]
    public void A_share_survives_its_byte_encoding()
    {
        var share = SecretSharing.Split(new byte[32], 2, 3, new SeededRandom(3))[1];
        var back = ShamirShare.FromBytes(share.ToBytes());
        Assert.Equal(share.ToBytes(), back.ToBytes());
        Assert.DoesNotContain(Convert.ToHexString(share.Value), share.ToString(), StringComparison.OrdinalIgnoreCase);
    }
}
