using System.Numerics;
using Dkms.Wallet.Shamir;

namespace Dkms.Wallet.Slip39;

/// <summary>
/// One SLIP-0039 mnemonic: identifier (15 bits), extendable flag, iteration exponent, group index,
/// group threshold and count, member index and threshold, the share value and an RS1024 checksum,
/// written as 10-bit words.
/// </summary>
public sealed record MnemonicShare(
    int Identifier, bool Extendable, int IterationExponent,
    int GroupIndex, int GroupThreshold, int GroupCount,
    int MemberIndex, int MemberThreshold, byte[] Value)
{
    private const int MetadataWords = 4;
    private const int ChecksumWords = 3;
    /// <summary>Shortest valid mnemonic: a 128-bit share.</summary>
    public const int MinWords = 20;
    public const int MinSecretBytes = 16;

    public static MnemonicShare Parse(string mnemonic)
    {
        var words = mnemonic.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (words.Length < MinWords) throw new ShareException($"a mnemonic has at least {MinWords} words, got {words.Length}");
        var indices = new int[words.Length];
        for (var i = 0; i < words.Length; i++)
        {
            if (!WordList.TryIndexOf(words[i], out indices[i])) throw new ShareException($"word {i + 1} '{words[i]}' is not in the SLIP-0039 word list");
        }

        var head = (indices[0] << 10) | indices[1];
        var identifier = head >> 5;
        var extendable = ((head >> 4) & 1) == 1;
        var exponent = head & 0xF;
        if (!Rs1024.Verify(indices, extendable)) throw new ShareException("invalid mnemonic checksum");

        var meta = (indices[2] << 10) | indices[3];
        var groupIndex = meta >> 16;
        var groupThreshold = ((meta >> 12) & 0xF) + 1;
        var groupCount = ((meta >> 8) & 0xF) + 1;
        var memberIndex = (meta >> 4) & 0xF;
        var memberThreshold = (meta & 0xF) + 1;
        if (groupThreshold > groupCount) throw new ShareException($"group threshold {groupThreshold} exceeds group count {groupCount}");

        var valueWords = indices.AsSpan(MetadataWords, words.Length - MetadataWords - ChecksumWords);
        var bits = valueWords.Length * 10;
        var padding = bits % 16;
        if (padding > 8) throw new ShareException("invalid mnemonic length");
        var value = BigInteger.Zero;
        foreach (var w in valueWords) value = (value << 10) | w;
        var bytes = (bits - padding) / 8;
        if (value >> (bytes * 8) != 0) throw new ShareException("invalid mnemonic padding");
        if (bytes < MinSecretBytes || bytes % 2 != 0) throw new ShareException($"invalid master secret length: {bytes} bytes");

        var raw = value.ToByteArray(isUnsigned: true, isBigEndian: true);
        var padded = new byte[bytes];
        raw.CopyTo(padded, bytes - raw.Length);
        return new MnemonicShare(identifier, extendable, exponent, groupIndex, groupThreshold, groupCount, memberIndex, memberThreshold, padded);
    }

    public override string ToString()
    {
        var indices = new List<int>
        {
            (Identifier >> 5) & 1023,
            ((Identifier & 31) << 5) | ((Extendable ? 1 : 0) << 4) | IterationExponent,
        };
        var meta = (GroupIndex << 16) | ((GroupThreshold - 1) << 12) | ((GroupCount - 1) << 8) | (MemberIndex << 4) | (MemberThreshold - 1);
        indices.Add(meta >> 10);
        indices.Add(meta & 1023);

        var valueWords = (Value.Length * 8 + 9) / 10;
        var value = new BigInteger(Value, isUnsigned: true, isBigEndian: true);
        for (var i = valueWords - 1; i >= 0; i--) indices.Add((int)((value >> (10 * i)) & 1023));
        indices.AddRange(Rs1024.Create(indices, Extendable));
        return string.Join(' ', indices.Select(i => WordList.Words[i]));
    }
}
