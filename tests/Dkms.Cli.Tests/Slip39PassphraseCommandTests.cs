using System.Text.Json;
using Dkms.Cli.Tests.Support;
using Dkms.Wallet.Storage;

namespace Dkms.Cli.Tests;

/// <summary>
/// SLIP-0039 mnemonics encrypt the master secret with a passphrase (empty by default). Mnemonics made elsewhere —
/// a hardware wallet, the reference implementation — with a passphrase restore a different secret without it, and
/// nothing in the mnemonics can tell: the CLI must let the user give it. Checked against the official vectors
/// (tests/testdata/slip39-vectors.json, passphrase "TREZOR").
/// </summary>
public sealed class Slip39PassphraseCommandTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>Official vector "23. Basic sharing 2-of-3 (256 bits)" and "45. Extendable basic sharing 2-of-3 (256 bits)".</summary>
    [Theory]
    [InlineData("23. Basic sharing 2-of-3 (256 bits)")]
    [InlineData("45. Extendable basic sharing 2-of-3 (256 bits)")]
    public async Task Mnemonics_made_elsewhere_with_a_passphrase_restore_the_published_master_secret(string vector)
    {
        var (mnemonics, expected) = Vector(vector);
        var args = mnemonics.SelectMany(m => new[] { "--mnemonic", m }).ToArray();

        var byEnv = new User(_dir.Path, _dir.File("env.dkms")).With("DKMS_SLIP39_PASSPHRASE", "TREZOR");
        (await byEnv.RunAsync(["shares", "combine", .. args])).Ok();
        Assert.Equal(expected, Master(byEnv.Wallet));

        await File.WriteAllTextAsync(_dir.File("slip39.pass"), "TREZOR\n");
        var byFile = new User(_dir.Path, _dir.File("file.dkms"));
        (await byFile.RunAsync(["shares", "combine", .. args, "--slip39-passphrase-file", "slip39.pass"])).Ok();
        Assert.Equal(expected, Master(byFile.Wallet));

        // Without it the same mnemonics decrypt to another secret: the standard makes every passphrase valid.
        var without = new User(_dir.Path, _dir.File("none.dkms"));
        (await without.RunAsync(["shares", "combine", .. args])).Ok();
        Assert.NotEqual(expected, Master(without.Wallet));
    }

    [Fact]
    public async Task Split_with_a_passphrase_needs_it_to_combine()
    {
        var owner = new User(_dir.Path, _dir.File("w.dkms"));
        (await owner.RunAsync("wallet", "create")).Ok();
        await File.WriteAllTextAsync(_dir.File("slip39.pass"), "paper in the safe\n");
        var split = await owner.JsonAsync("shares", "split", "--threshold", "2", "--count", "3", "--slip39-passphrase-file", "slip39.pass");
        Assert.True(split.GetProperty("slip39Passphrase").GetBoolean());
        var words = split.GetProperty("mnemonics").EnumerateArray().Select(m => m.GetString()!).ToArray();

        var restored = new User(_dir.Path, _dir.File("restored.dkms")).With("DKMS_SLIP39_PASSPHRASE", "paper in the safe");
        (await restored.RunAsync("shares", "combine", "--mnemonic", words[0], "--mnemonic", words[2])).Ok();
        Assert.Equal(Master(owner.Wallet), Master(restored.Wallet));

        var forgot = new User(_dir.Path, _dir.File("forgot.dkms"));
        (await forgot.RunAsync("shares", "combine", "--mnemonic", words[0], "--mnemonic", words[2])).Ok();
        Assert.NotEqual(Master(owner.Wallet), Master(forgot.Wallet));
    }

    [Fact]
    public async Task A_passphrase_outside_printable_ascii_is_refused_before_anything_is_written()
    {
        var (mnemonics, _) = Vector("23. Basic sharing 2-of-3 (256 bits)");
        var user = new User(_dir.Path, _dir.File("x.dkms")).With("DKMS_SLIP39_PASSPHRASE", "TRÉZOR");
        (await user.RunAsync(["shares", "combine", .. mnemonics.SelectMany(m => new[] { "--mnemonic", m })])).Fails(ExitCodes.Usage);
        Assert.False(File.Exists(user.Wallet));
    }

    private static (string[] Mnemonics, string Secret) Vector(string description)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(VectorFile()));
        var v = doc.RootElement.EnumerateArray().Single(e => e[0].GetString() == description);
        return ([.. v[1].EnumerateArray().Select(e => e.GetString()!)], v[2].GetString()!.ToUpperInvariant());
    }

    private static string VectorFile()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "testdata", "slip39-vectors.json");
            if (File.Exists(candidate)) return candidate;
        }

        throw new FileNotFoundException("tests/testdata/slip39-vectors.json is part of the repository and was not found");
    }

    private static string Master(string path)
    {
        using var wallet = WalletFile.Open(path, User.Passphrase);
        return Convert.ToHexString(wallet.Master.Export());
    }
}
