using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Dkms.Wallet.Shamir;

/// <summary>One share of a plain m-of-n split: the set it belongs to, its threshold and index.</summary>
public sealed record ShamirShare(ulong SetId, byte Threshold, byte Index, byte[] Value)
{
    /// <summary>Never prints the share value.</summary>
    public override string ToString() => $"ShamirShare(set {SetId:x16}, {Index + 1} of threshold {Threshold})";

    public byte[] ToBytes()
    {
        var bytes = new byte[10 + Value.Length];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, SetId);
        bytes[8] = Threshold;
        bytes[9] = Index;
        Value.CopyTo(bytes, 10);
        return bytes;
    }

    public static ShamirShare FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < 10 + ShamirCore.DigestLength + 1) throw new ShareException(ShareError.Inconsistent, "share too short");
        return new ShamirShare(BinaryPrimitives.ReadUInt64BigEndian(bytes), bytes[8], bytes[9], bytes[10..].ToArray());
    }
}

/// <summary>
/// m-of-n Shamir secret sharing over GF(256) (2 ≤ m ≤ n ≤ 16) with the SLIP-0039 digest share, so a
/// wrong share makes <see cref="Combine"/> throw instead of returning a wrong secret.
/// </summary>
public static class SecretSharing
{
    public static IReadOnlyList<ShamirShare> Split(ReadOnlySpan<byte> secret, int threshold, int count, IRandomSource? random = null)
    {
        random ??= SystemRandomSource.Instance;
        if (threshold < 2 || threshold > count || count > ShamirCore.MaxShares)
        {
            throw new ShareException(ShareError.InvalidParameters, "need 2 <= threshold <= count <= 16");
        }

        Span<byte> id = stackalloc byte[8];
        random.Fill(id);
        var setId = BinaryPrimitives.ReadUInt64BigEndian(id);
        var values = ShamirCore.Split(threshold, count, secret, random);
        return values.Select((v, i) => new ShamirShare(setId, (byte)threshold, (byte)i, v)).ToList();
    }

    public static byte[] Combine(IReadOnlyCollection<ShamirShare> shares)
    {
        if (shares.Count == 0) throw new ShareException(ShareError.InsufficientShares, "no shares");
        var first = shares.First();
        if (shares.Any(s => s.SetId != first.SetId || s.Threshold != first.Threshold))
        {
            throw new ShareException(ShareError.Inconsistent, "shares come from different sets");
        }

        var distinct = shares.DistinctBy(s => s.Index).ToList();
        if (distinct.Count < first.Threshold)
        {
            throw new ShareException(ShareError.InsufficientShares, $"insufficient shares: need {first.Threshold}, got {distinct.Count}");
        }

        foreach (var group in shares.GroupBy(s => s.Index))
        {
            if (group.Any(s => !CryptographicOperations.FixedTimeEquals(s.Value, group.First().Value)))
            {
                throw new ShareException(ShareError.DuplicateShare, "two different shares claim the same index");
            }
        }

        var used = distinct.Take(first.Threshold).ToList();
        var xs = used.Select(s => s.Index).ToList();
        var ys = used.Select(s => s.Value).ToList();
        var secret = ShamirCore.Combine(first.Threshold, xs, ys);
        // shares beyond the threshold must lie on the same polynomial, or one of them is corrupted
        foreach (var extra in distinct.Skip(first.Threshold))
        {
            if (extra.Value.Length != ys[0].Length || !CryptographicOperations.FixedTimeEquals(Gf256.Interpolate(xs, ys, extra.Index), extra.Value))
            {
                CryptographicOperations.ZeroMemory(secret);
                throw new ShareException(ShareError.DigestMismatch, $"share {extra.Index + 1} is inconsistent with the others");
            }
        }

        return secret;
    }
}
