using Dkms.Wallet.Keys;

namespace Dkms.Wallet.Tests;

public class RecoveryFileTests
{
    [Fact]
    public void A_recovery_file_restores_the_master_secret_and_so_every_key()
    {
        using var dir = new TempDirectory();
        using var master = MasterSecret.Generate(new SeededRandom(1));
        var key = Recovery.RecoveryFile.Create(dir.File("recovery.dkms"), master, new SeededRandom(2));
        using var restored = Recovery.RecoveryFile.Restore(dir.File("recovery.dkms"), key.ToUpperInvariant());
        Assert.Equal(master.SigningPublicKeys(0, 4, 2), restored.SigningPublicKeys(0, 4, 2));
        var wrong = (key[0] == '0' ? "1" : "0") + key[1..];
        Assert.Throws<Storage.WalletException>(() => Recovery.RecoveryFile.Restore(dir.File("recovery.dkms"), wrong));
    }
}
