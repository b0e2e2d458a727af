using System.Security.Cryptography;
using Dkms.Wallet.Shamir;

namespace Dkms.Wallet.Slip39;

/// <summary>A group of the two-level scheme: <see cref="MemberThreshold"/> of <see cref="MemberCount"/> member shares.</summary>
public sealed record GroupSpec(int MemberThreshold, int MemberCount);

/// <summary>
/// SLIP-0039 Shamir backup of a master secret: encrypt it with the passphrase (a 4-round Feistel
/// network over PBKDF2-HMAC-SHA256), split it into groups, split each group into member mnemonics.
/// Combining checks identifiers, parameters and both levels' digests.
/// </summary>
public static class Slip39
{
    private const int BaseIterations = 10_000;
    private const int Rounds = 4;

    public static string[][] Generate(byte[] masterSecret, int groupThreshold, IReadOnlyList<GroupSpec> groups,
        string passphrase = "", int iterationExponent = 1, bool extendable = true, Action<Span<byte>>? random = null)
    {
        random ??= RandomNumberGenerator.Fill;
        if (masterSecret.Length < MnemonicShare.MinSecretBytes || masterSecret.Length % 2 != 0)
        {
            throw new ArgumentException("the master secret must be at least 16 bytes and an even number of bytes");
        }

        if (iterationExponent is < 0 or > 15) throw new ArgumentException("iteration exponent must be 0..15");
        if (groupThreshold < 1 || groupThreshold > groups.Count) throw new ArgumentException("group threshold must be between 1 and the group count");
        foreach (var g in groups)
        {
            if (g.MemberThreshold == 1 && g.MemberCount > 1) throw new ArgumentException("a group with member threshold 1 must have exactly one member");
        }

        Span<byte> idBytes = stackalloc byte[2];
        random(idBytes);
        var id = ((idBytes[0] << 8) | idBytes[1]) & 0x7FFF;

        var encrypted = Encrypt(masterSecret, passphrase, iterationExponent, id, extendable);
        var groupShares = SecretSharing.Split(groupThreshold, groups.Count, encrypted, random);
        return [.. groups.Select((g, gi) => SecretSharing.Split(g.MemberThreshold, g.MemberCount, groupShares[gi].Value, random)
            .Select(m => new MnemonicShare(id, extendable, iterationExponent, gi, groupThreshold, groups.Count, m.Index, g.MemberThreshold, m.Value).ToString())
            .ToArray())];
    }

    /// <summary>Recovers the master secret from mnemonics covering the group threshold, each such group with its member threshold.</summary>
    public static byte[] Combine(IEnumerable<string> mnemonics, string passphrase = "")
    {
        var shares = mnemonics.Select(MnemonicShare.Parse).ToList();
        if (shares.Count == 0) throw new ShareException("no mnemonics given");
        var first = shares[0];
        foreach (var s in shares)
        {
            if (s.Identifier != first.Identifier || s.Extendable != first.Extendable) throw new ShareException("mnemonics belong to different secrets (identifiers differ)");
            if (s.IterationExponent != first.IterationExponent) throw new ShareException("mnemonics have different iteration exponents");
            if (s.GroupThreshold != first.GroupThreshold || s.GroupCount != first.GroupCount) throw new ShareException("mnemonics have different group thresholds or counts");
            if (s.Value.Length != first.Value.Length) throw new ShareException("mnemonics have different lengths");
        }

        var groups = shares.GroupBy(s => s.GroupIndex).ToList();
        foreach (var g in groups)
        {
            if (g.Select(s => s.MemberThreshold).Distinct().Count() != 1) throw new ShareException($"group {g.Key + 1} has mnemonics with different member thresholds");
            if (g.Select(s => s.MemberIndex).Distinct().Count() != g.Count()) throw new ShareException($"group {g.Key + 1} has duplicate member indices");
        }

        var complete = groups.Where(g => g.Count() >= g.First().MemberThreshold).ToList();
        if (complete.Count < first.GroupThreshold)
        {
            throw new ShareException($"insufficient shares: {complete.Count} complete group(s) of the {first.GroupThreshold} needed");
        }

        var groupShares = complete.Take(first.GroupThreshold)
            .Select(g => new Share((byte)g.Key, SecretSharing.Combine(g.First().MemberThreshold, [.. g.Select(s => new Share((byte)s.MemberIndex, s.Value))])))
            .ToList();
        var encrypted = SecretSharing.Combine(first.GroupThreshold, groupShares);
        return Decrypt(encrypted, passphrase, first.IterationExponent, first.Identifier, first.Extendable);
    }

    public static byte[] Encrypt(byte[] secret, string passphrase, int exponent, int identifier, bool extendable) =>
        Feistel(secret, passphrase, exponent, identifier, extendable, [0, 1, 2, 3]);

    public static byte[] Decrypt(byte[] secret, string passphrase, int exponent, int identifier, bool extendable) =>
        Feistel(secret, passphrase, exponent, identifier, extendable, [3, 2, 1, 0]);

    private static byte[] Feistel(byte[] input, string passphrase, int exponent, int identifier, bool extendable, int[] rounds)
    {
        var half = input.Length / 2;
        var left = input[..half];
        var right = input[half..];
        var password = System.Text.Encoding.ASCII.GetBytes(passphrase);
        byte[] saltPrefix = extendable ? [] : [.. "shamir"u8, (byte)(identifier >> 8), (byte)identifier];
        var iterations = (BaseIterations << exponent) / Rounds;
        foreach (var i in rounds)
        {
            var f = Rfc2898DeriveBytes.Pbkdf2([(byte)i, .. password], [.. saltPrefix, .. right], iterations, HashAlgorithmName.SHA256, half);
            var next = new byte[half];
            for (var j = 0; j < half; j++) next[j] = (byte)(left[j] ^ f[j]);
            left = right;
            right = next;
        }

        return [.. right, .. left];
    }
}
