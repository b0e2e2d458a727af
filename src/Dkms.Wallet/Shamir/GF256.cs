namespace Dkms.Wallet.Shamir;

/// <summary>
/// Arithmetic in GF(2^8) with the Rijndael polynomial x^8 + x^4 + x^3 + x + 1 (0x11B), through
/// log/exp tables over the generator 3. Addition is XOR.
/// </summary>
internal static class GF256
{
    private static readonly byte[] Exp = new byte[255];
    private static readonly byte[] Log = new byte[256];

    static GF256()
    {
        var x = 1;
        for (var i = 0; i < 255; i++)
        {
            Exp[i] = (byte)x;
            Log[x] = (byte)i;
            // Multiply by the generator 3 = x + 1: x*3 = x*2 xor x, reducing by 0x11B on overflow.
            var doubled = x << 1;
            if ((doubled & 0x100) != 0) doubled ^= 0x11B;
            x = doubled ^ x;
        }
    }

    /// <summary>
    /// Evaluates at <paramref name="x"/> the unique polynomial through the points (xs[j], ys[j][i]) for
    /// every byte position i (Lagrange interpolation). The xs must be distinct.
    /// </summary>
    public static byte[] Interpolate(IReadOnlyList<(byte X, byte[] Y)> points, byte x)
    {
        var length = points[0].Y.Length;
        foreach (var p in points)
        {
            if (p.X == x) return (byte[])p.Y.Clone();
        }

        // log of prod_m (x - x_m); subtraction is XOR.
        var logProduct = 0;
        foreach (var p in points) logProduct += Log[p.X ^ x];

        var result = new byte[length];
        foreach (var (xj, yj) in points)
        {
            // basis_j(x) = prod_{m != j} (x - x_m) / (x_j - x_m), in logs.
            var logBasis = logProduct - Log[xj ^ x];
            foreach (var (xm, _) in points)
            {
                if (xm != xj) logBasis -= Log[xj ^ xm];
            }

            logBasis = ((logBasis % 255) + 255) % 255;
            for (var i = 0; i < length; i++)
            {
                if (yj[i] != 0) result[i] ^= Exp[(Log[yj[i]] + logBasis) % 255];
            }
        }

        return result;
    }
}
