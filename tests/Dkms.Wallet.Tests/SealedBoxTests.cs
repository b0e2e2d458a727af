using Dkms.Wallet.Encryption;
using Dkms.Wallet.Keys;

namespace Dkms.Wallet.Tests;

public class SealedBoxTests
{
    [Fact]
    public void Only_the_recipient_opens_a_sealed_box()
    {
        using var master = MasterSecret.Generate(new SeededRandom(1));
        using var bob = master.KeyAgreementKey(0, 0);
        using var eve = master.KeyAgreementKey(1, 0);
        var box = SealedBox.Seal(bob.PublicKey, "hi bob"u8, "ctx"u8, new SeededRandom(2));
        Assert.Equal("hi bob"u8.ToArray(), SealedBox.Open(bob, box, "ctx"u8));
        Assert.Throws<DecryptionException>(() => SealedBox.Open(eve, box, "ctx"u8));
    }

    [Fact]
    public void A_sealed_box_is_bound_to_its_context()
    {
        using var bob = X25519KeyPair.Generate(new SeededRandom(3));
        var box = SealedBox.Seal(bob.PublicKey, "hi"u8, "share 1"u8, new SeededRandom(4));
        Assert.Throws<DecryptionException>(() => SealedBox.Open(bob, box, "share 2"u8));
    }

    [Fact]
    public void Any_flipped_byte_makes_the_box_fail()
    {
        using var bob = X25519KeyPair.Generate(new SeededRandom(5));
        var box = SealedBox.Seal(bob.PublicKey, "hi"u8, [], new SeededRandom(6));
        for (var i = 0; i < box.Length; i++)
        {
            var copy = (byte[])box.Clone();
            copy[i] ^= 0x10;
            Assert.Throws<DecryptionException>(() => SealedBox.Open(bob, copy, []));
        }
    }
}
