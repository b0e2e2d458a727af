namespace Dkms.Wallet.Slip39;

/// <summary>The RS1024 checksum of SLIP-0039 (a Reed-Solomon code over GF(1024)), customised by a string.</summary>
internal static class Rs1024
{
    private static readonly uint[] Gen =
    [
        0xE0E040, 0x1C1C080, 0x3838100, 0x7070200, 0xE0E0009,
        0x1C0C2412, 0x38086C24, 0x3090FC48, 0x21B1F890, 0x3F3F120,
    ];

    public static string Customization(bool extendable) => extendable ? "shamir_extendable" : "shamir";

    private static uint Polymod(IEnumerable<int> values)
    {
        uint chk = 1;
        foreach (var v in values)
        {
            var b = chk >> 20;
            chk = ((chk & 0xFFFFF) << 10) ^ (uint)v;
            for (var i = 0; i < 10; i++)
            {
                if (((b >> i) & 1) != 0) chk ^= Gen[i];
            }
        }

        return chk;
    }

    public static bool Verify(string customization, IReadOnlyList<int> words) =>
        Polymod(customization.Select(c => (int)c).Concat(words)) == 1;

    public static int[] Create(string customization, IReadOnlyList<int> data)
    {
        var polymod = Polymod(customization.Select(c => (int)c).Concat(data).Concat([0, 0, 0])) ^ 1;
        return [(int)((polymod >> 20) & 1023), (int)((polymod >> 10) & 1023), (int)(polymod & 1023)];
    }
}
