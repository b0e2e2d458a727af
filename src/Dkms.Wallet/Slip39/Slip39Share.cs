using System.Numerics;
using Dkms.Wallet.Shamir;

namespace Dkms.Wallet.Slip39;

/// <summary>One decoded SLIP-0039 mnemonic (section "Format of the share mnemonic").</summary>
public sealed record Slip39Share(
    int Identifier, bool Extendable, int IterationExponent, int GroupIndex, int GroupThreshold,
    int GroupCount, int MemberIndex, int MemberThreshold, byte[] Value)
{
    private const int MetadataWords = 7; // 2 (id, ext, e) + 2 (group/member fields) + 3 checksum
    private const int MinWords = 20;

    /// <summary>Enough for a <see cref="ShamirCore.MaxSecretLength"/>-byte value; refusing longer input bounds the work a hostile mnemonic causes.</summary>
    private const int MaxWords = MetadataWords + (ShamirCore.MaxSecretLength * 8 + 9) / 10;

    public override string ToString() =>
        $"Slip39Share(id {Identifier}, group {GroupIndex + 1}/{GroupCount}, member {MemberIndex + 1} of threshold {MemberThreshold})";

    public string ToMnemonic()
    {
        var words = new List<int>();
        var head = ((long)Identifier << 5) | ((Extendable ? 1L : 0) << 4) | (long)IterationExponent;
        words.Add((int)(head >> 10) & 1023);
        words.Add((int)head & 1023);
        long g = ((long)GroupIndex << 16) | ((long)(GroupThreshold - 1) << 12) | ((long)(GroupCount - 1) << 8)
                 | ((long)MemberIndex << 4) | (long)(MemberThreshold - 1);
        words.Add((int)(g >> 10) & 1023);
        words.Add((int)g & 1023);
        // share value as a big-endian integer, left-padded with zero bits to a whole number of words
        var valueWords = (Value.Length * 8 + 9) / 10;
        var n = new BigInteger(Value, isUnsigned: true, isBigEndian: true);
        for (var i = valueWords - 1; i >= 0; i--) words.Add((int)((n >> (10 * i)) & 1023));
        words.AddRange(Rs1024.Create(Rs1024.Customization(Extendable), words));
        return string.Join(' ', words.Select(w => WordList.Words[w]));
    }

    public static Slip39Share Parse(string mnemonic)
    {
        var texts = mnemonic.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (texts.Length < MinWords) throw Invalid($"a mnemonic has at least {MinWords} words");
        if (texts.Length > MaxWords) throw Invalid($"a mnemonic has at most {MaxWords} words");
        var words = texts.Select(WordList.IndexOf).ToArray();
        var paddingBits = (10 * (words.Length - MetadataWords)) % 16;
        if (paddingBits > 8) throw Invalid("invalid mnemonic length");
        var extendable = ((words[1] >> 4) & 1) == 1;
        if (!Rs1024.Verify(Rs1024.Customization(extendable), words)) throw new ShareException(ShareError.InvalidChecksum, "invalid mnemonic checksum");
        var identifier = (words[0] << 5) | (words[1] >> 5);
        var exponent = words[1] & 15;
        var g = ((long)words[2] << 10) | (long)words[3];
        var groupIndex = (int)(g >> 16) & 15;
        var groupThreshold = (int)((g >> 12) & 15) + 1;
        var groupCount = (int)((g >> 8) & 15) + 1;
        var memberIndex = (int)(g >> 4) & 15;
        var memberThreshold = (int)(g & 15) + 1;
        if (groupThreshold > groupCount) throw Invalid("group threshold exceeds group count");
        if (groupIndex >= groupCount) throw Invalid($"group index {groupIndex + 1} exceeds the group count {groupCount}");
        var n = BigInteger.Zero;
        for (var i = 4; i < words.Length - 3; i++) n = (n << 10) | words[i];
        var length = (10 * (words.Length - MetadataWords) - paddingBits) / 8;
        if (length < 16 || length % 2 != 0) throw Invalid("share value must be at least 128 bits and a whole number of 16-bit words");
        if ((n >> (length * 8)) != 0) throw Invalid("padding bits are not zero");
        var raw = n.ToByteArray(isUnsigned: true, isBigEndian: true);
        var value = new byte[length];
        raw.CopyTo(value, length - raw.Length);
        return new Slip39Share(identifier, extendable, exponent, groupIndex, groupThreshold, groupCount, memberIndex, memberThreshold, value);
    }

    private static ShareException Invalid(string message) => new(ShareError.InvalidMnemonic, message);
}
