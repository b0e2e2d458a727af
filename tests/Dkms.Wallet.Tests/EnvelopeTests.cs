using Dkms.Core.Encoding;
using Dkms.Wallet.Encryption;
using Dkms.Wallet.Keys;

namespace Dkms.Wallet.Tests;

public class EnvelopeTests
{
    private static readonly byte[] Data = "the quarterly report"u8.ToArray();

    [Fact]
    public void An_envelope_decrypts_to_its_plaintext()
    {
        using var master = MasterSecret.Generate(new SeededRandom(1));
        var cipher = new EnvelopeCipher(master, new SeededRandom(2));
        var envelope = cipher.Encrypt("docs", 1, Data, "ctx"u8);
        Assert.Equal(Data, cipher.Decrypt(envelope, "ctx"u8));
        Assert.Throws<DecryptionException>(() => cipher.Decrypt(envelope, "other"u8));
    }

    [Fact]
    public void Every_object_gets_a_fresh_data_key()
    {
        using var master = MasterSecret.Generate(new SeededRandom(1));
        var cipher = new EnvelopeCipher(master, new SeededRandom(2));
        var a = cipher.Encrypt("docs", 1, Data);
        var b = cipher.Encrypt("docs", 1, Data);
        Assert.NotEqual(a.WrappedDataKey, b.WrappedDataKey);
        Assert.NotEqual(a.Ciphertext, b.Ciphertext);
    }

    [Fact]
    public void Rewrap_after_kek_rotation_keeps_the_ciphertext_and_decrypts_with_the_new_version()
    {
        using var master = MasterSecret.Generate(new SeededRandom(3));
        var cipher = new EnvelopeCipher(master, new SeededRandom(4));
        var v1 = cipher.Encrypt("docs", 1, Data);
        var v2 = cipher.Rewrap(v1, 2);
        Assert.Equal(2, v2.KekVersion);
        Assert.Equal(v1.Ciphertext, v2.Ciphertext);
        Assert.Equal(v1.Nonce, v2.Nonce);
        Assert.NotEqual(v1.WrappedDataKey, v2.WrappedDataKey);
        Assert.Equal(Data, cipher.Decrypt(v2));
        // claiming the old version for the new wrap must fail
        Assert.Throws<DecryptionException>(() => cipher.Decrypt(v2 with { KekVersion = 1 }));
    }

    [Fact]
    public void A_restored_master_secret_opens_old_envelopes()
    {
        using var master = MasterSecret.Generate(new SeededRandom(5));
        var envelope = new EnvelopeCipher(master, new SeededRandom(6)).Encrypt("docs", 3, Data);
        using var restored = MasterSecret.FromBytes(master.Export());
        Assert.Equal(Data, new EnvelopeCipher(restored).Decrypt(envelope));
    }

    public static TheoryData<string> Tamperings() => ["kek name", "wrap nonce", "wrapped key", "nonce", "ciphertext"];

    [Theory]
    [MemberData(nameof(Tamperings))]
    public void A_tampered_envelope_does_not_decrypt(string field)
    {
        using var master = MasterSecret.Generate(new SeededRandom(7));
        var cipher = new EnvelopeCipher(master, new SeededRandom(8));
        var e = cipher.Encrypt("docs", 1, Data);
        static byte[] Flip(byte[] b)
        {
            var c = (byte[])b.Clone();
            c[0] ^= 1;
            return c;
        }

        var tampered = field switch
        {
            "kek name" => e with { KekName = "docz" },
            "wrap nonce" => e with { WrapNonce = Flip(e.WrapNonce) },
            "wrapped key" => e with { WrappedDataKey = Flip(e.WrappedDataKey) },
            "nonce" => e with { Nonce = Flip(e.Nonce) },
            _ => e with { Ciphertext = Flip(e.Ciphertext) },
        };
        Assert.Throws<DecryptionException>(() => cipher.Decrypt(tampered));
    }

    [Fact]
    public void A_file_round_trips_through_an_encoded_envelope()
    {
        using var dir = new TempDirectory();
        using var master = MasterSecret.Generate(new SeededRandom(9));
        var cipher = new EnvelopeCipher(master, new SeededRandom(10));
        File.WriteAllBytes(dir.File("in"), Data);
        cipher.EncryptFile(dir.File("in"), dir.File("in.env"), "files", 1);
        var envelope = EnvelopeCipher.ReadEnvelope(File.ReadAllBytes(dir.File("in.env")));
        File.WriteAllBytes(dir.File("in.env"), Codec.Encode(cipher.Rewrap(envelope, 2)));
        cipher.DecryptFile(dir.File("in.env"), dir.File("out"));
        Assert.Equal(Data, File.ReadAllBytes(dir.File("out")));
    }
}
