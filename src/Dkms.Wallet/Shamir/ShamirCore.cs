using System.Security.Cryptography;

namespace Dkms.Wallet.Shamir;

/// <summary>
/// The SLIP-0039 flavour of Shamir's scheme (section "Shamir's secret sharing"): for threshold t
/// the polynomial passes through t-2 random shares, a digest share at x=254 holding
/// HMAC-SHA256(R, S)[..4] || R, and the secret at x=255. Combining t shares recomputes both and
/// checks the digest, so a corrupted or forged share is detected instead of yielding a wrong secret.
/// Threshold 1 (SLIP-0039 only) has no digest: every share is the secret itself.
/// </summary>
internal static class ShamirCore
{
    public const byte DigestIndex = 254;
    public const byte SecretIndex = 255;
    public const int DigestLength = 4;
    public const int MaxShares = 16;

    /// <summary>The longest secret (and so share value) split or combined; master secrets are 16..64 bytes.</summary>
    public const int MaxSecretLength = 256;

    public static byte[][] Split(int threshold, int count, ReadOnlySpan<byte> secret, IRandomSource random)
    {
        if (threshold < 1 || threshold > count) throw new ArgumentException("threshold must be between 1 and the share count");
        if (count > MaxShares) throw new ArgumentException($"at most {MaxShares} shares");
        if (secret.Length < DigestLength + 1 || secret.Length > MaxSecretLength) throw new ArgumentException($"a secret is {DigestLength + 1}..{MaxSecretLength} bytes");
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

    /// <summary>
    /// Recovers the secret from exactly <paramref name="threshold"/> shares with distinct indices below
    /// <see cref="MaxShares"/>. Whatever the caller checked, this checks again: it is the last line before
    /// a secret is returned, and a share at x = 254 or 255 would hand the digest or secret straight through.
    /// </summary>
    public static byte[] Combine(int threshold, IReadOnlyList<byte> indices, IReadOnlyList<byte[]> values)
    {
        if (threshold is < 1 or > MaxShares) throw Malformed($"threshold {threshold} is not 1..{MaxShares}");
        if (values.Count != threshold || indices.Count != threshold)
        {
            throw new ShareException(ShareError.InsufficientShares, $"need exactly {threshold} shares, got {values.Count}");
        }

        if (indices.Any(i => i >= MaxShares)) throw Malformed($"share index {indices.First(i => i >= MaxShares)} is not 0..{MaxShares - 1}");
        if (indices.Distinct().Count() != indices.Count) throw new ShareException(ShareError.DuplicateShare, "two shares have the same index");
        var length = values[0].Length;
        if (values.Any(v => v.Length != length)) throw new ShareException(ShareError.Inconsistent, "shares have different lengths");
        if (length > MaxSecretLength) throw Malformed($"a share value is at most {MaxSecretLength} bytes");
        if (threshold == 1) return (byte[])values[0].Clone();
        if (length < DigestLength + 1) throw Malformed($"a share value of a threshold-{threshold} split is at least {DigestLength + 1} bytes");

        var secret = Gf256.Interpolate(indices, values, SecretIndex);
        var digest = Gf256.Interpolate(indices, values, DigestIndex);
        var mac = HMACSHA256.HashData(digest.AsSpan(DigestLength), secret);
        if (!CryptographicOperations.FixedTimeEquals(mac.AsSpan(0, DigestLength), digest.AsSpan(0, DigestLength)))
        {
            CryptographicOperations.ZeroMemory(secret);
            throw new ShareException(ShareError.DigestMismatch, "share digest check failed: a share is corrupted, forged or from another set");
        }

        return secret;
    }

    private static ShareException Malformed(string message) => new(ShareError.Malformed, message);
}
