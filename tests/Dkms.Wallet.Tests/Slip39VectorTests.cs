using System.Text.Json;
using Dkms.Wallet.Shamir;

namespace Dkms.Wallet.Tests;

/// <summary>
/// The 45 published SLIP-0039 test vectors (passphrase "TREZOR"), read from shared/testdata beside
/// the repository. Skipped, saying so, when that folder is absent.
/// </summary>
public class Slip39VectorTests
{
    internal static readonly string? VectorFile = Locate();

    private static string? Locate()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "testdata", "slip39-vectors.json");
            if (File.Exists(candidate)) return candidate;
        }

        return null;
    }

    public static TheoryData<int, string, string[], string> Vectors()
    {
        var data = new TheoryData<int, string, string[], string>();
        if (VectorFile is null)
        {
            data.Add(0, "vectors absent", [], "");
            return data;
        }

        using var doc = JsonDocument.Parse(File.ReadAllText(VectorFile));
        var n = 0;
        foreach (var v in doc.RootElement.EnumerateArray())
        {
            data.Add(++n, v[0].GetString()!, [.. v[1].EnumerateArray().Select(m => m.GetString()!)], v[2].GetString()!);
        }

        return data;
    }

    [VectorTheory]
    [MemberData(nameof(Vectors))]
    public void Published_vector_gives_the_expected_master_secret_or_is_rejected(int number, string description, string[] mnemonics, string masterSecretHex)
    {
        Assert.True(number > 0, description);
        if (masterSecretHex.Length == 0)
        {
            Assert.Throws<ShareException>(() => Slip39.Slip39.Combine(mnemonics, "TREZOR"));
            return;
        }

        Assert.Equal(masterSecretHex, Convert.ToHexStringLower(Slip39.Slip39.Combine(mnemonics, "TREZOR")));
        // Every valid mnemonic re-encodes to exactly the published words.
        foreach (var m in mnemonics) Assert.Equal(m, Slip39.MnemonicShare.Parse(m).ToString());
    }

    [Fact]
    public void All_45_vectors_are_present_when_the_file_is()
    {
        if (VectorFile is null) return;
        Assert.Equal(45, Vectors().Count());
    }

    /// <summary>A theory that is skipped, with the reason, when the vector file cannot be found.</summary>
    public sealed class VectorTheoryAttribute : TheoryAttribute
    {
        public VectorTheoryAttribute()
        {
            if (VectorFile is null) Skip = "shared/testdata/slip39-vectors.json not found beside the repository; SLIP-0039 vectors not run";
        }
    }
}
