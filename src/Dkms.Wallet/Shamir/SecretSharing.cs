using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Dkms.Wallet.Shamir;

/// <summary>One share of a plain m-of-n split: the set it belongs to, its threshold and index.</summary>
public sealed record ShamirShare(ulong SetId, byte Threshold, byte Index, byte[] Value)
{
    /// <summary>Set id (8) ‖ threshold (1) ‖ index (1) before the value.</summary>
    public const int HeaderLength = 10;

    /// <summary>The longest encoding a genuine share has.</summary>
    public const int MaxEncodedLength = HeaderLength + ShamirCore.MaxSecretLength;

    /// <summary>Never prints the share value.</summary>
    public override string ToString() => $"ShamirShare(set {SetId:x16}, {Index + 1} of threshold {Threshold})";

    public byte[] ToBytes()
    {
        var bytes = new byte[HeaderLength + Value.Length];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, SetId);
        bytes[8] = Threshold;
        bytes[9] = Index;
        Value.CopyTo(bytes, HeaderLength);
        return bytes;
    }

    /// <summary>Decodes a share, refusing any that no genuine split produces (see <see cref="SecretSharing.Check"/>).</summary>
    public static ShamirShare FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < HeaderLength + SecretSharing.MinSecretLength || bytes.Length > MaxEncodedLength)
        {
            throw new ShareException(ShareError.Malformed, $"a share encoding is {HeaderLength + SecretSharing.MinSecretLength}..{MaxEncodedLength} bytes, not {bytes.Length}");
        }

        var share = new ShamirShare(BinaryPrimitives.ReadUInt64BigEndian(bytes), bytes[8], bytes[9], bytes[HeaderLength..].ToArray());
        SecretSharing.Check(share);
        return share;
    }
}

/// <summary>
/// m-of-n Shamir secret sharing over GF(256) (2 ≤ m ≤ n ≤ 16) with the SLIP-0039 digest share, so a
/// wrong share makes <see cref="Combine"/> throw instead of returning a wrong secret. There is no
/// threshold 1 here: a 1-of-n "share" would be the secret itself, with no digest to check it.
/// </summary>
public static class SecretSharing
{
    public const int MinThreshold = 2;
    public const int MaxShares = ShamirCore.MaxShares;

    /// <summary>The digest share needs room for its 4-byte MAC and at least one byte of randomness.</summary>
    public const int MinSecretLength = ShamirCore.DigestLength + 1;

    public const int MaxSecretLength = ShamirCore.MaxSecretLength;

    public static IReadOnlyList<ShamirShare> Split(ReadOnlySpan<byte> secret, int threshold, int count, IRandomSource? random = null)
    {
        random ??= SystemRandomSource.Instance;
        if (threshold < MinThreshold || threshold > count || count > MaxShares)
        {
            throw new ShareException(ShareError.InvalidParameters, "need 2 <= threshold <= count <= 16");
        }

        if (secret.Length is < MinSecretLength or > MaxSecretLength)
        {
            throw new ShareException(ShareError.InvalidParameters, $"a secret to split is {MinSecretLength}..{MaxSecretLength} bytes");
        }

        Span<byte> id = stackalloc byte[8];
        random.Fill(id);
        var setId = BinaryPrimitives.ReadUInt64BigEndian(id);
        var values = ShamirCore.Split(threshold, count, secret, random);
        return values.Select((v, i) => new ShamirShare(setId, (byte)threshold, (byte)i, v)).ToList();
    }

    /// <summary>
    /// Refuses a share no genuine split produces: threshold outside 2..16, index outside 0..15 (254 and 255
    /// are where the digest and the secret live), or a value of the wrong size.
    /// </summary>
    public static void Check(ShamirShare share)
    {
        if (share.Threshold is < MinThreshold or > MaxShares)
        {
            throw new ShareException(ShareError.Malformed, $"share {share.Index + 1} claims threshold {share.Threshold}; a split has a threshold of 2..16");
        }

        if (share.Index >= MaxShares)
        {
            throw new ShareException(ShareError.Malformed, $"a share claims index {share.Index}; a split has indices 0..{MaxShares - 1}");
        }

        if (share.Value.Length is < MinSecretLength or > MaxSecretLength)
        {
            throw new ShareException(ShareError.Malformed, $"share {share.Index + 1} holds {share.Value.Length} bytes; a share holds {MinSecretLength}..{MaxSecretLength}");
        }
    }

    /// <summary>
    /// The secret of a set of shares, after checking each share (<see cref="Check"/>), that all name the same
    /// set, threshold and length, that no index repeats, that there are enough, that the digest holds, and that
    /// every share beyond the threshold lies on the same polynomial. Anything else throws a <see cref="ShareException"/>
    /// saying what is wrong.
    /// </summary>
    public static byte[] Combine(IReadOnlyCollection<ShamirShare> shares)
    {
        if (shares.Count == 0) throw new ShareException(ShareError.InsufficientShares, "no shares");
        foreach (var share in shares) Check(share);
        var first = shares.First();
        if (shares.Any(s => s.SetId != first.SetId))
        {
            throw new ShareException(ShareError.Inconsistent, $"shares come from different sets ({string.Join(", ", shares.Select(s => s.SetId.ToString("x16", null)).Distinct())})");
        }

        if (shares.Any(s => s.Threshold != first.Threshold))
        {
            throw new ShareException(ShareError.Inconsistent, $"shares of one set claim different thresholds ({string.Join(", ", shares.Select(s => s.Threshold).Distinct())})");
        }

        if (shares.Any(s => s.Value.Length != first.Value.Length))
        {
            throw new ShareException(ShareError.Inconsistent, "shares of one set have different lengths");
        }

        if (shares.GroupBy(s => s.Index).FirstOrDefault(g => g.Count() > 1) is { } repeated)
        {
            throw new ShareException(ShareError.DuplicateShare, $"share {repeated.Key + 1} is given more than once");
        }

        if (shares.Count < first.Threshold)
        {
            throw new ShareException(ShareError.InsufficientShares, $"insufficient shares: need {first.Threshold}, got {shares.Count}");
        }

        var used = shares.Take(first.Threshold).ToList();
        var xs = used.Select(s => s.Index).ToList();
        var ys = used.Select(s => s.Value).ToList();
        var secret = ShamirCore.Combine(first.Threshold, xs, ys);
        // shares beyond the threshold must lie on the same polynomial, or one of them is corrupted
        foreach (var extra in shares.Skip(first.Threshold))
        {
            if (!CryptographicOperations.FixedTimeEquals(Gf256.Interpolate(xs, ys, extra.Index), extra.Value))
            {
                CryptographicOperations.ZeroMemory(secret);
                throw new ShareException(ShareError.DigestMismatch, $"share {extra.Index + 1} is inconsistent with the others");
            }
        }

        return secret;
    }
}
