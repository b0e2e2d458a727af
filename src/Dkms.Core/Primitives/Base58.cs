using System.Text;

namespace Dkms.Core.Primitives;

/// <summary>Base58 with the Bitcoin alphabet ("base58btc" in multibase terms).</summary>
public static class Base58
{
    private const string Alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

    private static readonly sbyte[] Reverse = BuildReverse();

    private static sbyte[] BuildReverse()
    {
        var r = new sbyte[128];
        Array.Fill(r, (sbyte)-1);
        for (var i = 0; i < Alphabet.Length; i++)
        {
            r[Alphabet[i]] = (sbyte)i;
        }

        return r;
    }

    public static string Encode(ReadOnlySpan<byte> data)
    {
        var zeros = 0;
        while (zeros < data.Length && data[zeros] == 0) zeros++;

        // log(256)/log(58) ≈ 1.366: an upper bound on the digit count.
        var digits = new byte[(data.Length - zeros) * 138 / 100 + 1];
        var length = 0;
        for (var i = zeros; i < data.Length; i++)
        {
            int carry = data[i];
            for (var j = 0; j < length; j++)
            {
                carry += digits[j] << 8;
                digits[j] = (byte)(carry % 58);
                carry /= 58;
            }

            while (carry > 0)
            {
                digits[length++] = (byte)(carry % 58);
                carry /= 58;
            }
        }

        var sb = new StringBuilder(zeros + length);
        sb.Append('1', zeros);
        for (var i = length - 1; i >= 0; i--) sb.Append(Alphabet[digits[i]]);
        return sb.ToString();
    }

    public static bool TryDecode(string text, out byte[] bytes)
    {
        bytes = [];
        var zeros = 0;
        while (zeros < text.Length && text[zeros] == '1') zeros++;

        var b256 = new byte[text.Length * 733 / 1000 + 1];
        var length = 0;
        for (var i = zeros; i < text.Length; i++)
        {
            var c = text[i];
            if (c >= 128 || Reverse[c] < 0) return false;
            int carry = Reverse[c];
            for (var j = 0; j < length; j++)
            {
                carry += b256[j] * 58;
                b256[j] = (byte)carry;
                carry >>= 8;
            }

            while (carry > 0)
            {
                b256[length++] = (byte)carry;
                carry >>= 8;
            }
        }

        bytes = new byte[zeros + length];
        for (var i = 0; i < length; i++) bytes[zeros + i] = b256[length - 1 - i];
        return true;
    }
}
