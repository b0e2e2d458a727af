using Dkms.Wallet.Shamir;

namespace Dkms.Wallet.Tests;

public class SecretSharingTests
{
    private static Action<Span<byte>> Seeded(int seed)
    {
        var rnd = new Random(seed);
        return span => rnd.NextBytes(span);
    }

    private static IEnumerable<int[]> Subsets(int n, int k, int start = 0)
    {
        if (k == 0)
        {
            yield return [];
            yield break;
        }

        for (var i = start; i <= n - k; i++)
        {
            foreach (var rest in Subsets(n, k - 1, i + 1)) yield return [i, .. rest];
        }
    }

    public static TheoryData<int, int> Schemes()
    {
        var d = new TheoryData<int, int>();
        for (var n = 1; n <= 7; n++)
        {
            for (var m = 1; m <= Math.Min(n, 5); m++) d.Add(m, n);
        }

        return d;
    }

    [Theory]
    [MemberData(nameof(Schemes))]
    public void Every_subset_of_threshold_size_recovers_the_secret(int m, int n)
    {
        var secret = new byte[32];
        new Random(m * 31 + n).NextBytes(secret);
        var shares = SecretSharing.Split(m, n, secret, Seeded(n * 7 + m));
        Assert.Equal(n, shares.Length);
        foreach (var subset in Subsets(n, m))
        {
            Assert.Equal(secret, SecretSharing.Combine(m, [.. subset.Select(i => shares[i])]));
        }
    }

    [Theory]
    [InlineData(2, 3)]
    [InlineData(3, 5)]
    [InlineData(5, 7)]
    public void Fewer_than_threshold_shares_are_reported_as_insufficient(int m, int n)
    {
        var shares = SecretSharing.Split(m, n, new byte[16], Seeded(1));
        var e = Assert.Throws<ShareException>(() => SecretSharing.Combine(m, shares[..(m - 1)]));
        Assert.Contains("insufficient", e.Message);
    }

    [Fact]
    public void Fewer_than_threshold_shares_say_nothing_about_the_secret()
    {
        // With m - 1 shares fixed, every candidate secret is consistent with some polynomial:
        // two different secrets split with the same randomness give identical first m - 2 shares.
        var a = SecretSharing.Split(3, 5, Enumerable.Repeat((byte)1, 16).ToArray(), Seeded(9));
        var b = SecretSharing.Split(3, 5, Enumerable.Repeat((byte)2, 16).ToArray(), Seeded(9));
        Assert.Equal(a[0].Value, b[0].Value);
        Assert.NotEqual(a[2].Value, b[2].Value);
    }

    [Fact]
    public void Corrupted_share_is_detected_not_silently_combined()
    {
        var secret = new byte[32];
        new Random(5).NextBytes(secret);
        var shares = SecretSharing.Split(3, 5, secret, Seeded(5));
        for (var byteIndex = 0; byteIndex < secret.Length; byteIndex += 7)
        {
            var bad = shares[1].Value.ToArray();
            bad[byteIndex] ^= 0x01;
            Assert.Throws<ShareException>(() => SecretSharing.Combine(3, [shares[0], shares[1] with { Value = bad }, shares[2]]));
        }
    }

    [Fact]
    public void Share_of_another_secret_is_detected()
    {
        var mine = SecretSharing.Split(2, 3, new byte[20], Seeded(1));
        var theirs = SecretSharing.Split(2, 3, Enumerable.Repeat((byte)7, 20).ToArray(), Seeded(2));
        Assert.Throws<ShareException>(() => SecretSharing.Combine(2, [mine[0], theirs[1]]));
    }
}
