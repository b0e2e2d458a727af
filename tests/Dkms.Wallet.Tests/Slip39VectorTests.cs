using System.Text.Json;
using Dkms.Wallet.Shamir;

namespace Dkms.Wallet.Tests;

/// <summary>A fact that is skipped, saying why, when the shared SLIP-0039 vector file is not beside the repository.</summary>
public sealed class VectorFactAttribute : FactAttribute
{
    public VectorFactAttribute()
    {
        if (Slip39VectorTests.VectorFile() is null)
        {
            Skip = "tests/testdata/slip39-vectors.json not found; SLIP-0039 vectors not run";
        }
    }
}

public class Slip39VectorTests
{
    internal static string? VectorFile()
    {
        // The repository's own copy (tests/testdata) first, so the vectors run wherever the repository is checked out.
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            foreach (var candidate in new[] { Path.Combine(dir.FullName, "tests", "testdata", "slip39-vectors.json"), Path.Combine(dir.FullName, "shared", "testdata", "slip39-vectors.json") })
            {
                if (File.Exists(candidate)) return candidate;
            }
        }

        return null;
    }

    [VectorFact]
    public void All_published_vectors_pass_with_passphrase_TREZOR()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(VectorFile()!));
        var failures = new List<string>();
        var count = 0;
        foreach (var vector in doc.RootElement.EnumerateArray())
        {
            count++;
            var description = vector[0].GetString()!;
            var mnemonics = vector[1].EnumerateArray().Select(e => e.GetString()!).ToList();
            var expected = vector[2].GetString()!;
            try
            {
                var secret = Convert.ToHexStringLower(Slip39.Slip39Shares.Combine(mnemonics, "TREZOR"));
                if (expected.Length == 0) failures.Add($"{description}: accepted, expected rejection");
                else if (secret != expected) failures.Add($"{description}: got {secret}");
            }
            catch (ShareException ex)
            {
                if (expected.Length != 0) failures.Add($"{description}: rejected ({ex.Message})");
            }
        }

        Assert.Equal(45, count);
        Assert.Empty(failures);
    }
}
