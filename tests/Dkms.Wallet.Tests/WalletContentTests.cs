using Dkms.Wallet.Storage;

namespace Dkms.Wallet.Tests;

public class WalletContentTests
{
    [Fact]
    public void Identities_get_consecutive_numbers()
    {
        var content = new WalletContent();
        Assert.Equal(0, content.AddIdentity("a").Number);
        Assert.Equal(1, content.AddIdentity("b", 3, 2).Number);
        Assert.Throws<ArgumentOutOfRangeException>(() => content.AddIdentity("c", 2, 3));
    }

    [Fact]
    public void A_kek_starts_at_version_1_and_rotation_increments_it()
    {
        var content = new WalletContent();
        Assert.Equal(1, content.KekVersion("docs"));
        Assert.Equal(2, content.RotateKek("docs"));
        Assert.Equal(2, content.KekVersion("docs"));
        Assert.Equal(2, content.RotateKek("new"));
    }
}
