using System.Security.Cryptography;
using System.Text;
using Dkms.Wallet.Shamir;

namespace Dkms.Wallet.Slip39;

/// <summary>A group of a SLIP-0039 split: <paramref name="MemberThreshold"/> of <paramref name="MemberCount"/> member shares.</summary>
public readonly record struct Slip39Group(int MemberThreshold, int MemberCount);

/// <summary>
/// SLIP-0039 ("Shamir's Secret-Sharing for Mnemonic Codes") written from the specification:
/// two-level sharing (groups, members), the master secret encrypted with a passphrase by a
/// 4-round Feistel network over PBKDF2-HMAC-SHA256, shares encoded as RS1024-checksummed mnemonics.
/// </summary>
public static class Slip39Shares
{
    private const int BaseIterations = 10000;
    private const int Rounds = 4;

    /// <summary>Splits <paramref name="masterSecret"/> (≥ 16 bytes, even length) into mnemonics, one list per group.</summary>
    public static IReadOnlyList<IReadOnlyList<string>> Split(
        ReadOnlySpan<byte> masterSecret, int groupThreshold, IReadOnlyList<Slip39Group> groups, string passphrase = "",
        int iterationExponent = 1, bool extendable = true, IRandomSource? random = null)
    {
        random ??= SystemRandomSource.Instance;
        if (masterSecret.Length < 16 || masterSecret.Length % 2 != 0) throw Bad("master secret must be at least 16 bytes and of even length");
        if (groupThreshold < 1 || groupThreshold > groups.Count || groups.Count > ShamirCore.MaxShares) throw Bad("invalid group threshold");
        if (iterationExponent is < 0 or > 15) throw Bad("iteration exponent must be 0..15");
        foreach (var g in groups)
        {
            if (g.MemberThreshold < 1 || g.MemberThreshold > g.MemberCount || g.MemberCount > ShamirCore.MaxShares) throw Bad("invalid member threshold");
            // the standard forbids several shares of a 1-of-n group: they would all be identical
            if (g.MemberThreshold == 1 && g.MemberCount > 1) throw Bad("a group with member threshold 1 must have exactly one member");
        }

        if (!IsValidPassphrase(passphrase)) throw Bad("passphrase must be printable ASCII");
        Span<byte> idBytes = stackalloc byte[2];
        random.Fill(idBytes);
        var identifier = ((idBytes[0] << 8) | idBytes[1]) & 0x7FFF;
        var ems = Crypt(masterSecret.ToArray(), passphrase, iterationExponent, identifier, extendable, encrypt: true);
        var groupShares = ShamirCore.Split(groupThreshold, groups.Count, ems, random);
        CryptographicOperations.ZeroMemory(ems);
        var result = new List<IReadOnlyList<string>>();
        for (var gi = 0; gi < groups.Count; gi++)
        {
            var members = ShamirCore.Split(groups[gi].MemberThreshold, groups[gi].MemberCount, groupShares[gi], random);
            result.Add(members.Select((m, mi) => new Slip39Share(identifier, extendable, iterationExponent, gi, groupThreshold,
                groups.Count, mi, groups[gi].MemberThreshold, m).ToMnemonic()).ToList());
        }

        return result;
    }

    /// <summary>Recovers the master secret from mnemonics forming exactly a threshold of groups, each with exactly its member threshold.</summary>
    public static byte[] Combine(IEnumerable<string> mnemonics, string passphrase = "")
    {
        // Any other character would be replaced while encoding to ASCII: a different passphrase, silently.
        if (!IsValidPassphrase(passphrase)) throw Bad("passphrase must be printable ASCII");
        var shares = mnemonics.Select(Slip39Share.Parse).ToList();
        if (shares.Count == 0) throw new ShareException(ShareError.InsufficientShares, "no mnemonics");
        var f = shares[0];
        if (shares.Any(s => s.Identifier != f.Identifier || s.Extendable != f.Extendable || s.IterationExponent != f.IterationExponent))
        {
            throw new ShareException(ShareError.Inconsistent, "mnemonics belong to different secrets");
        }

        if (shares.Any(s => s.GroupThreshold != f.GroupThreshold || s.GroupCount != f.GroupCount || s.Value.Length != f.Value.Length))
        {
            throw new ShareException(ShareError.Inconsistent, "mnemonics disagree on group parameters");
        }

        var groupIndices = new List<byte>();
        var groupValues = new List<byte[]>();
        foreach (var group in shares.GroupBy(s => s.GroupIndex))
        {
            var members = group.ToList();
            if (members.Any(m => m.MemberThreshold != members[0].MemberThreshold))
            {
                throw new ShareException(ShareError.Inconsistent, "mnemonics of a group disagree on its member threshold");
            }

            if (members.Select(m => m.MemberIndex).Distinct().Count() != members.Count)
            {
                throw new ShareException(ShareError.DuplicateShare, "a member share appears twice");
            }

            if (members.Count != members[0].MemberThreshold)
            {
                throw new ShareException(ShareError.InsufficientShares,
                    $"group {group.Key + 1} needs exactly {members[0].MemberThreshold} mnemonics, got {members.Count}");
            }

            groupIndices.Add((byte)group.Key);
            groupValues.Add(ShamirCore.Combine(members[0].MemberThreshold, members.Select(m => (byte)m.MemberIndex).ToList(),
                members.Select(m => m.Value).ToList()));
        }

        if (groupIndices.Count != f.GroupThreshold)
        {
            throw new ShareException(ShareError.InsufficientShares, $"need exactly {f.GroupThreshold} groups, got {groupIndices.Count}");
        }

        var ems = ShamirCore.Combine(f.GroupThreshold, groupIndices, groupValues);
        return Crypt(ems, passphrase, f.IterationExponent, f.Identifier, f.Extendable, encrypt: false);
    }

    /// <summary>The Feistel cipher of the standard's "Encryption of the master secret" section.</summary>
    internal static byte[] Crypt(byte[] input, string passphrase, int exponent, int identifier, bool extendable, bool encrypt)
    {
        var half = input.Length / 2;
        var left = input[..half];
        var right = input[half..];
        byte[] salt = extendable ? [] : Encoding.ASCII.GetBytes("shamir").Concat(new[] { (byte)(identifier >> 8), (byte)identifier }).ToArray();
        var pass = Encoding.ASCII.GetBytes(passphrase);
        var iterations = (BaseIterations << exponent) / Rounds;
        for (var r = 0; r < Rounds; r++)
        {
            var round = encrypt ? r : Rounds - 1 - r;
            var password = new byte[1 + pass.Length];
            password[0] = (byte)round;
            pass.CopyTo(password, 1);
            var f = Rfc2898DeriveBytes.Pbkdf2(password, salt.Concat(right).ToArray(), iterations, HashAlgorithmName.SHA256, half);
            for (var i = 0; i < half; i++) left[i] ^= f[i];
            (left, right) = (right, left);
        }

        byte[] output = [.. right, .. left];
        CryptographicOperations.ZeroMemory(left);
        CryptographicOperations.ZeroMemory(right);
        return output;
    }

    /// <summary>The standard allows printable ASCII only (32..126), so that every implementation derives the same bytes.</summary>
    public static bool IsValidPassphrase(string passphrase) => passphrase.All(c => c is >= ' ' and <= '~');

    private static ShareException Bad(string message) => new(ShareError.InvalidParameters, message);
}
