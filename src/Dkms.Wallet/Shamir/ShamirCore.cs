using System.Security.Cryptography;

namespace Dkms.Wallet.Shamir;

/// <summary>
/// The SLIP-0039 flavour of Shamir's scheme (section "Shamir's secret sharing"): for threshold t
/// the polynomial passes through t-2 random shares, a digest share at x=254 holding
/// HMAC-SHA256(R, S)[..4] || R, and the secret at x=255. Combining t shares recomputes both and
/// checks the digest, so a corrupted or forged share is detected instead of yielding a wrong secret.
/// </summary>
internal static class ShamirCore
{
    public const byte DigestIndex = 254;
    public const byte SecretIndex = 255;
    public const int DigestLength = 4;
    public const int MaxShares = 16;

    public static byte[][] Split(int threshold, int count, ReadOnlySpan<byte> secret, IRandomSource random)
    {
        if (threshold < 1 || threshold > count) throw new ArgumentException("threshold must be between 1 and the share count");
        if (count > MaxShares) throw new ArgumentException($"at most {MaxShares} shares");
        if (secret.Length < DigestLength + 1) throw new ArgumentException("secret too short");
        var shares = new byte[count][];
        if (threshold == 1)
        {
            for (var i = 0; i < count; i++) shares[i] = secret.ToArray();
            return shares;
        }

        var xs = new List<byte>();
        var ys = new List<byte[]>();
        for (var i = 0; i < threshold - 2; i++)
        {
            var r = new byte[secret.Length];
            random.Fill(r);
            xs.Add((byte)i);
            ys.Add(r);
            shares[i] = r;
        }

        var digestShare = new byte[secret.Length];
        random.Fill(digestShare.AsSpan(DigestLength));
        var mac = HMACSHA256.HashData(digestShare.AsSpan(DigestLength), secret);
        mac.AsSpan(0, DigestLength).CopyTo(digestShare);
        xs.Add(DigestIndex);
        ys.Add(digestShare);
        xs.Add(SecretIndex);
        ys.Add(secret.ToArray());
        for (var i = threshold - 2; i < count; i++) shares[i] = Gf256.Interpolate(xs, ys, (byte)i);
        CryptographicOperations.ZeroMemory(ys[^1]);
        return shares;
    }

    /// <summary>Recovers the secret from exactly <paramref name="threshold"/> shares with distinct indices.</summary>
    public static byte[] Combine(int threshold, IReadOnlyList<byte> indices, IReadOnlyList<byte[]> values)
    {
        if (values.Count < threshold) throw new ShareException(ShareError.InsufficientShares, $"need {threshold} shares, got {values.Count}");
        if (threshold == 1) return (byte[])values[0].Clone();
        if (indices.Distinct().Count() != indices.Count) throw new ShareException(ShareError.DuplicateShare, "two shares have the same index");
        if (values.Any(v => v.Length != values[0].Length)) throw new ShareException(ShareError.Inconsistent, "shares have different lengths");
        var xs = indices.Take(threshold).ToList();
        var ys = values.Take(threshold).ToList();
        var secret = Gf256.Interpolate(xs, ys, SecretIndex);
        var digest = Gf256.Interpolate(xs, ys, DigestIndex);
        var mac = HMACSHA256.HashData(digest.AsSpan(DigestLength), secret);
        if (!CryptographicOperations.FixedTimeEquals(mac.AsSpan(0, DigestLength), digest.AsSpan(0, DigestLength)))
        {
            CryptographicOperations.ZeroMemory(secret);
            throw new ShareException(ShareError.DigestMismatch, "share digest check failed: a share is corrupted, forged or from another set");
        }

        return secret;
    }
}
