namespace Dkms.Wallet.Shamir;

/// <summary>
/// Arithmetic in GF(2^8) with the AES (Rijndael) polynomial x^8 + x^4 + x^3 + x + 1, as SLIP-0039
/// requires. Log/exp tables built from generator 3.
/// </summary>
internal static class Gf256
{
    private static readonly byte[] Exp = new byte[255];
    private static readonly byte[] Log = new byte[256];

    static Gf256()
    {
        var x = 1;
        for (var i = 0; i < 255; i++)
        {
            Exp[i] = (byte)x;
            Log[x] = (byte)i;
            // multiply by the generator 3 = x + 1
            x ^= x << 1;
            if ((x & 0x100) != 0) x ^= 0x11B;
        }
    }

    public static byte Mul(byte a, byte b) => a == 0 || b == 0 ? (byte)0 : Exp[(Log[a] + Log[b]) % 255];

    public static byte Div(byte a, byte b)
    {
        if (b == 0) throw new DivideByZeroException();
        return a == 0 ? (byte)0 : Exp[(Log[a] + 255 - Log[b]) % 255];
    }

    /// <summary>
    /// Lagrange interpolation at <paramref name="x"/> of the polynomials through the points
    /// (xs[i], ys[i][k]) for every byte position k. The xs must be distinct.
    /// </summary>
    public static byte[] Interpolate(IReadOnlyList<byte> xs, IReadOnlyList<byte[]> ys, byte x)
    {
        var length = ys[0].Length;
        for (var i = 0; i < xs.Count; i++)
        {
            if (xs[i] == x) return (byte[])ys[i].Clone();
        }

        var result = new byte[length];
        for (var i = 0; i < xs.Count; i++)
        {
            // basis_i(x) = prod_{j != i} (x - xj) / (xi - xj); subtraction is xor in GF(2^8)
            byte basis = 1;
            for (var j = 0; j < xs.Count; j++)
            {
                if (j == i) continue;
                basis = Mul(basis, Div((byte)(x ^ xs[j]), (byte)(xs[i] ^ xs[j])));
            }

            var y = ys[i];
            for (var k = 0; k < length; k++) result[k] ^= Mul(basis, y[k]);
        }

        return result;
    }
}
