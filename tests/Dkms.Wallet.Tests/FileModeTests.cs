using Dkms.Wallet.Encryption;
using Dkms.Wallet.Keys;
using Dkms.Wallet.Recovery;
using Dkms.Wallet.Storage;

namespace Dkms.Wallet.Tests;

/// <summary>A test about POSIX file modes: run on Linux, skipped elsewhere.</summary>
public sealed class LinuxFactAttribute : FactAttribute
{
    public LinuxFactAttribute()
    {
        if (!OperatingSystem.IsLinux()) Skip = "file modes are POSIX permissions; checked on Linux";
    }
}

/// <summary>Every file the library writes holds a secret or is the user's own data: owner read/write only, from its first byte.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public class FileModeTests
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    [LinuxFact]
    public void An_atomic_write_creates_its_temporary_file_owner_only_before_any_content_is_visible()
    {
        using var dir = new TempDirectory();
        UnixFileMode? tempMode = null;
        AtomicFile.Write(dir.File("secret.bin"), [1, 2, 3], temp => tempMode = File.GetUnixFileMode(temp));
        Assert.Equal(OwnerOnly, tempMode);
        Assert.Equal(OwnerOnly, File.GetUnixFileMode(dir.File("secret.bin")));
    }

    [LinuxFact]
    public void Replacing_a_world_readable_file_leaves_an_owner_only_file()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("out.txt"), "old");
        File.SetUnixFileMode(dir.File("out.txt"), OwnerOnly | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        AtomicFile.Write(dir.File("out.txt"), "new"u8);
        Assert.Equal(OwnerOnly, File.GetUnixFileMode(dir.File("out.txt")));
    }

    [LinuxFact]
    public void Wallet_recovery_and_decrypted_files_are_owner_only()
    {
        using var dir = new TempDirectory();
        using (var wallet = WalletFile.Create(dir.File("wallet.dkms"), "correct horse", WalletFileTests.Cheap, random: new SeededRandom(1)))
        {
            Assert.Equal(OwnerOnly, File.GetUnixFileMode(dir.File("wallet.dkms")));
            wallet.ChangePassphrase("battery staple", WalletFileTests.Cheap);
            Assert.Equal(OwnerOnly, File.GetUnixFileMode(dir.File("wallet.dkms")));
        }

        using var master = MasterSecret.Generate(new SeededRandom(2));
        RecoveryFile.Create(dir.File("recovery.dkms"), master, new SeededRandom(3));
        Assert.Equal(OwnerOnly, File.GetUnixFileMode(dir.File("recovery.dkms")));

        File.WriteAllText(dir.File("plain.txt"), "the plans");
        var cipher = new EnvelopeCipher(master, new SeededRandom(4));
        cipher.EncryptFile(dir.File("plain.txt"), dir.File("plans.env"), "backups", 1);
        cipher.DecryptFile(dir.File("plans.env"), dir.File("plans.txt"));
        Assert.Equal(OwnerOnly, File.GetUnixFileMode(dir.File("plans.env")));
        Assert.Equal(OwnerOnly, File.GetUnixFileMode(dir.File("plans.txt")));
    }

    [LinuxFact]
    public void A_private_directory_is_created_owner_only()
    {
        using var dir = new TempDirectory();
        AtomicFile.CreatePrivateDirectory(dir.File("shares/nested"));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(dir.File("shares/nested")));
    }
}
