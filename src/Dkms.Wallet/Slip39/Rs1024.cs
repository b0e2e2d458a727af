namespace Dkms.Wallet.Slip39;

/// <summary>The RS1024 checksum of SLIP-0039: a Reed-Solomon code over GF(1024), three words long.</summary>
internal static class Rs1024
{
    private static readonly uint[] Generator =
        [0xE0E040, 0x1C1C080, 0x3838100, 0x7070200, 0xE0E0009, 0x1C0C2412, 0x38086C24, 0x3090FC48, 0x21B1F890, 0x3F3F120];

    public static string Customization(bool extendable) => extendable ? "shamir_extendable" : "shamir";

    public static bool Verify(IReadOnlyList<int> words, bool extendable) =>
        Polymod(Customization(extendable).Select(c => (int)c).Concat(words)) == 1;

    public static int[] Create(IReadOnlyList<int> data, bool extendable)
    {
        var values = Customization(extendable).Select(c => (int)c).Concat(data).Concat([0, 0, 0]);
        var p = Polymod(values) ^ 1;
        return [(int)((p >> 20) & 1023), (int)((p >> 10) & 1023), (int)(p & 1023)];
    }

    private static uint Polymod(IEnumerable<int> values)
    {
        uint chk = 1;
        foreach (var v in values)
        {
            var b = chk >> 20;
            chk = ((chk & 0xFFFFF) << 10) ^ (uint)v;
            for (var i = 0; i < 10; i++)
            {
                if (((b >> i) & 1) != 0) chk ^= Generator[i];
            }
        }

        return chk;
    }
}
