using Dkms.Wallet.Storage;

namespace Dkms.Wallet.Tests;

public class WalletFileTests
{
    // Tiny Argon2id costs keep the suite fast; production uses KdfParameters.Default.
    internal static readonly KdfParameters Cheap = new(MemoryKib: 64, Iterations: 1);

    private static WalletFile NewWallet(TempDirectory dir, string passphrase = "correct horse", int seed = 1)
    {
        var wallet = WalletFile.Create(dir.File("wallet.dkms"), passphrase, Cheap, random: new SeededRandom(seed));
        wallet.Content.Identities.Add(new IdentityEntry { Number = 0, Label = "alice", Rotation = 2, SigningKeyCount = 3, SigningThreshold = 2, Agents = ["phone"] });
        wallet.Content.Keks.Add(new KekEntry { Name = "backups", CurrentVersion = 4 });
        wallet.Save();
        return wallet;
    }

    [Fact]
    public void A_saved_wallet_reopens_with_the_same_contents()
    {
        using var dir = new TempDirectory();
        byte[] master;
        using (var wallet = NewWallet(dir)) master = wallet.Master.Export();

        using var reopened = WalletFile.Open(dir.File("wallet.dkms"), "correct horse");
        Assert.Equal(master, reopened.Master.Export());
        var identity = Assert.Single(reopened.Content.Identities);
        Assert.Equal(("alice", 2, 3, 2, "phone"), (identity.Label, identity.Rotation, identity.SigningKeyCount, identity.SigningThreshold, identity.Agents.Single()));
        Assert.Equal(4, reopened.Content.Keks.Single().CurrentVersion);
    }

    [Fact]
    public void A_raw_key_wallet_opens_with_its_key_only()
    {
        using var dir = new TempDirectory();
        var key = new byte[32];
        new SeededRandom(5).Fill(key);
        WalletFile.Create(dir.File("w"), key, random: new SeededRandom(6)).Dispose();
        using (WalletFile.Open(dir.File("w"), key))
        {
        }

        key[0] ^= 1;
        Assert.Equal(WalletError.WrongKeyOrTampered, Assert.Throws<WalletException>(() => WalletFile.Open(dir.File("w"), key)).Error);
        Assert.Equal(WalletError.WrongKeyKind, Assert.Throws<WalletException>(() => WalletFile.Open(dir.File("w"), "pass")).Error);
    }

    [Fact]
    public void A_wrong_passphrase_is_a_typed_error_and_leaves_the_file_unchanged()
    {
        using var dir = new TempDirectory();
        NewWallet(dir).Dispose();
        var before = File.ReadAllBytes(dir.File("wallet.dkms"));
        var ex = Assert.Throws<WalletException>(() => WalletFile.Open(dir.File("wallet.dkms"), "Correct horse"));
        Assert.Equal(WalletError.WrongKeyOrTampered, ex.Error);
        Assert.Equal(before, File.ReadAllBytes(dir.File("wallet.dkms")));
    }

    public static TheoryData<string, int> Regions() => new()
    {
        { "magic", 0 },
        { "version", 7 },
        { "kdf id", 8 },
        { "memory cost", 12 },
        { "iterations", 16 },
        { "parallelism", 17 },
        { "salt", 20 },
        { "wrap nonce", WalletHeader.KdfEnd + 3 },
        { "wrapped key", WalletHeader.KdfEnd + 24 + 10 },
        { "content nonce", WalletHeader.Size + 5 },
        { "ciphertext", WalletHeader.Size + 24 + 7 },
        { "tag (last byte)", -1 },
    };

    [Theory]
    [MemberData(nameof(Regions))]
    public void Flipping_a_byte_in_any_region_is_detected(string region, int offset)
    {
        using var dir = new TempDirectory();
        NewWallet(dir).Dispose();
        var path = dir.File("wallet.dkms");
        var bytes = File.ReadAllBytes(path);
        bytes[offset < 0 ? bytes.Length + offset : offset] ^= 0x04;
        File.WriteAllBytes(path, bytes);
        var ex = Assert.Throws<WalletException>(() => WalletFile.Open(path, "correct horse"));
        Assert.False(string.IsNullOrEmpty(ex.Message), region);
        Assert.Equal(bytes, File.ReadAllBytes(path));
    }

    [Fact]
    public void Every_single_byte_flip_is_detected()
    {
        using var dir = new TempDirectory();
        var key = new byte[32];
        WalletFile.Create(dir.File("w"), key, random: new SeededRandom(9)).Dispose();
        var original = File.ReadAllBytes(dir.File("w"));
        for (var i = 0; i < original.Length; i++)
        {
            var bytes = (byte[])original.Clone();
            bytes[i] ^= 0x80;
            File.WriteAllBytes(dir.File("w"), bytes);
            Assert.Throws<WalletException>(() => WalletFile.Open(dir.File("w"), key));
        }
    }

    [Fact]
    public void A_truncated_file_is_reported_as_malformed()
    {
        using var dir = new TempDirectory();
        NewWallet(dir).Dispose();
        var bytes = File.ReadAllBytes(dir.File("wallet.dkms"));
        File.WriteAllBytes(dir.File("wallet.dkms"), bytes[..(WalletHeader.Size + 10)]);
        Assert.Equal(WalletError.Malformed, Assert.Throws<WalletException>(() => WalletFile.Open(dir.File("wallet.dkms"), "correct horse")).Error);
    }

    [Fact]
    public void Changing_the_passphrase_keeps_the_content_ciphertext_and_retires_the_old_passphrase()
    {
        using var dir = new TempDirectory();
        var path = dir.File("wallet.dkms");
        byte[] master;
        using (var wallet = NewWallet(dir))
        {
            master = wallet.Master.Export();
            var before = File.ReadAllBytes(path);
            wallet.ChangePassphrase("new passphrase", Cheap);
            var after = File.ReadAllBytes(path);
            Assert.Equal(before[WalletHeader.Size..], after[WalletHeader.Size..]);
            Assert.NotEqual(before[..WalletHeader.Size], after[..WalletHeader.Size]);
        }

        Assert.Throws<WalletException>(() => WalletFile.Open(path, "correct horse"));
        using var reopened = WalletFile.Open(path, "new passphrase");
        Assert.Equal(master, reopened.Master.Export());
        Assert.Equal("alice", reopened.Content.Identities.Single().Label);
    }

    [Fact]
    public void A_crash_between_temp_write_and_rename_leaves_the_original_intact()
    {
        using var dir = new TempDirectory();
        var path = dir.File("wallet.dkms");
        using var wallet = NewWallet(dir);
        var before = File.ReadAllBytes(path);
        wallet.BeforeRename = _ => throw new IOException("simulated crash");
        wallet.Content.Identities.Add(new IdentityEntry { Number = 1, Label = "bob" });
        Assert.Throws<IOException>(() => wallet.Save());
        Assert.Throws<IOException>(() => wallet.ChangePassphrase("other", Cheap));

        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(["wallet.dkms"], Directory.GetFiles(dir.Path).Select(Path.GetFileName));
        using (var original = WalletFile.Open(path, "correct horse"))
        {
            Assert.Equal("alice", original.Content.Identities.Single().Label);
        }

        // once the disk works again, the failed passphrase change has not taken effect
        wallet.BeforeRename = null;
        wallet.Save();
        using var reopened = WalletFile.Open(path, "correct horse");
        Assert.Equal(["alice", "bob"], reopened.Content.Identities.Select(i => i.Label));
    }

    [Fact]
    public void The_default_argon2id_costs_are_recorded_in_the_header_and_unlock()
    {
        using var dir = new TempDirectory();
        WalletFile.Create(dir.File("w"), "pass", random: new SeededRandom(11)).Dispose();
        var header = WalletHeader.Decode(File.ReadAllBytes(dir.File("w")));
        Assert.Equal((WalletHeader.KdfArgon2id, 64 * 1024, 3, (byte)1), (header.KdfId, header.MemoryKib, header.Iterations, header.Parallelism));
        using (WalletFile.Open(dir.File("w"), "pass"))
        {
        }
    }

    [Fact]
    public void Creating_over_an_existing_wallet_is_refused()
    {
        using var dir = new TempDirectory();
        NewWallet(dir).Dispose();
        Assert.Throws<IOException>(() => WalletFile.Create(dir.File("wallet.dkms"), "x", Cheap));
    }

    [Fact]
    public void Nothing_secret_is_printed()
    {
        using var dir = new TempDirectory();
        using var wallet = NewWallet(dir);
        var hex = Convert.ToHexString(wallet.Master.Export());
        foreach (var text in new[] { wallet.ToString(), wallet.Master.ToString(), wallet.Content.ToString() })
        {
            Assert.DoesNotContain(hex, text, StringComparison.OrdinalIgnoreCase);
        }
    }
}
