using System.Security.Cryptography;

namespace Dkms.Wallet.Shamir;

/// <summary>A share: its x coordinate (member or group index) and the share value.</summary>
public sealed record Share(byte Index, byte[] Value);

/// <summary>Thrown when shares cannot be combined: too few, inconsistent, corrupted or foreign.</summary>
public sealed class ShareException(string message) : Exception(message);

/// <summary>
/// m-of-n Shamir secret sharing over GF(256) with a digest check, as SLIP-0039 specifies it: the
/// polynomial also passes through x = 254, whose value is HMAC-SHA256(R, secret)[..4] ‖ R for a random
/// R, and the secret sits at x = 255. Combining checks the digest, so a corrupted or foreign share is
/// detected instead of producing a wrong secret.
/// </summary>
public static class SecretSharing
{
    public const int MaxShares = 16;
    private const byte DigestIndex = 254;
    private const byte SecretIndex = 255;
    private const int DigestLength = 4;

    /// <summary>Splits <paramref name="secret"/> (at least 16 bytes) into <paramref name="count"/> shares, any <paramref name="threshold"/> of which recover it.</summary>
    public static Share[] Split(int threshold, int count, byte[] secret, Action<Span<byte>>? random = null)
    {
        random ??= RandomNumberGenerator.Fill;
        if (threshold < 1 || threshold > count) throw new ArgumentException($"threshold {threshold} must be between 1 and the share count {count}");
        if (count > MaxShares) throw new ArgumentException($"at most {MaxShares} shares");
        if (secret.Length < DigestLength + 1) throw new ArgumentException("secret too short");

        if (threshold == 1) return [.. Enumerable.Range(0, count).Select(i => new Share((byte)i, (byte[])secret.Clone()))];

        var points = new List<(byte X, byte[] Y)>();
        for (var i = 0; i < threshold - 2; i++)
        {
            var y = new byte[secret.Length];
            random(y);
            points.Add(((byte)i, y));
        }

        var r = new byte[secret.Length - DigestLength];
        random(r);
        var digestShare = new byte[secret.Length];
        Digest(r, secret).CopyTo(digestShare, 0);
        r.CopyTo(digestShare, DigestLength);

        var basePoints = new List<(byte X, byte[] Y)>(points) { (DigestIndex, digestShare), (SecretIndex, secret) };
        var shares = points.Select(p => new Share(p.X, p.Y)).ToList();
        for (var i = threshold - 2; i < count; i++) shares.Add(new Share((byte)i, GF256.Interpolate(basePoints, (byte)i)));
        return [.. shares];
    }

    /// <summary>Recovers the secret from exactly the shares given (at least <paramref name="threshold"/>, distinct indices, equal lengths).</summary>
    public static byte[] Combine(int threshold, IReadOnlyList<Share> shares)
    {
        if (shares.Count < threshold) throw new ShareException($"insufficient shares: {shares.Count} given, {threshold} needed");
        if (shares.Select(s => s.Index).Distinct().Count() != shares.Count) throw new ShareException("share indices must be distinct");
        if (shares.Select(s => s.Value.Length).Distinct().Count() != 1) throw new ShareException("shares have different lengths");
        if (threshold == 1) return (byte[])shares[0].Value.Clone();

        var points = shares.Take(threshold).Select(s => (s.Index, s.Value)).ToList();
        var secret = GF256.Interpolate(points, SecretIndex);
        var digestShare = GF256.Interpolate(points, DigestIndex);
        var expected = Digest(digestShare[DigestLength..], secret);
        if (!CryptographicOperations.FixedTimeEquals(expected, digestShare.AsSpan(0, DigestLength)))
        {
            throw new ShareException("share digest check failed: a share is corrupted or belongs to another secret");
        }

        return secret;
    }

    private static byte[] Digest(byte[] randomPart, byte[] secret) => HMACSHA256.HashData(randomPart, secret)[..DigestLength];
}
