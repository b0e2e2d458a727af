using Dkms.Core.Encoding;
using Dkms.Wallet.Files;

namespace Dkms.Wallet.Tests;

public sealed class WalletFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dkms-wallet-").FullName;
    private readonly byte[] _content = "master secret and identities"u8.ToArray();

    private string PathOf(string name = "wallet.dkms") => System.IO.Path.Combine(_dir, name);

    private static WalletKey Pass(string p) => WalletKey.FromPassphrase(p, Argon2Cost.ForTests);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Wallet_round_trips_with_a_passphrase_and_with_a_raw_key()
    {
        WalletFile.Create(PathOf(), _content, Pass("correct horse"));
        Assert.Equal(_content, WalletFile.Open(PathOf(), Pass("correct horse")));

        var raw = new byte[32];
        raw[0] = 9;
        WalletFile.Create(PathOf("raw.dkms"), _content, WalletKey.FromRawKey(raw));
        Assert.Equal(_content, WalletFile.Open(PathOf("raw.dkms"), WalletKey.FromRawKey(raw)));
        Assert.Throws<WalletException>(() => WalletFile.Open(PathOf("raw.dkms"), Pass("x")));
    }

    [Fact]
    public void Wrong_passphrase_gives_a_clear_error_and_changes_nothing()
    {
        WalletFile.Create(PathOf(), _content, Pass("right"));
        var before = File.ReadAllBytes(PathOf());
        var e = Assert.Throws<WalletException>(() => WalletFile.Open(PathOf(), Pass("wrong")));
        Assert.Contains("wrong passphrase", e.Message);
        Assert.Throws<WalletException>(() => WalletFile.ChangeKey(PathOf(), Pass("wrong"), Pass("new")));
        Assert.Equal(before, File.ReadAllBytes(PathOf()));
    }

    [Fact]
    public void Any_changed_byte_is_detected()
    {
        WalletFile.Create(PathOf(), _content, Pass("p"));
        var bytes = File.ReadAllBytes(PathOf());
        for (var i = 0; i < bytes.Length; i++)
        {
            var copy = (byte[])bytes.Clone();
            copy[i] ^= 0x01;
            File.WriteAllBytes(PathOf("t.dkms"), copy);
            Assert.Throws<WalletException>(() => WalletFile.Open(PathOf("t.dkms"), Pass("p")));
        }
    }

    [Fact]
    public void Changing_the_passphrase_rewraps_without_reencrypting_the_content()
    {
        WalletFile.Create(PathOf(), _content, Pass("old"));
        var before = Codec.Decode<WalletFileLayout>(File.ReadAllBytes(PathOf()));
        WalletFile.ChangeKey(PathOf(), Pass("old"), Pass("new"));
        var after = Codec.Decode<WalletFileLayout>(File.ReadAllBytes(PathOf()));

        Assert.Equal(before.Content, after.Content);
        Assert.NotEqual(before.WrappedContentKey, after.WrappedContentKey);
        Assert.Equal(_content, WalletFile.Open(PathOf(), Pass("new")));
        Assert.Throws<WalletException>(() => WalletFile.Open(PathOf(), Pass("old")));
    }

    [Fact]
    public void Crash_before_the_rename_leaves_the_previous_wallet_intact()
    {
        WalletFile.Create(PathOf(), _content, Pass("p"));
        Assert.Throws<InvalidOperationException>(() =>
            WalletFile.Save(PathOf(), "new content"u8.ToArray(), Pass("p"), beforeReplace: () => throw new InvalidOperationException("power cut")));
        Assert.Equal(_content, WalletFile.Open(PathOf(), Pass("p")));
        Assert.Single(Directory.GetFiles(_dir));

        WalletFile.Save(PathOf(), "new content"u8.ToArray(), Pass("p"));
        Assert.Equal("new content"u8.ToArray(), WalletFile.Open(PathOf(), Pass("p")));
    }

    [Fact]
    public void Creating_over_an_existing_wallet_is_refused_and_garbage_is_not_a_wallet()
    {
        WalletFile.Create(PathOf(), _content, Pass("p"));
        Assert.Throws<WalletException>(() => WalletFile.Create(PathOf(), _content, Pass("p")));
        File.WriteAllText(PathOf("junk"), "hello");
        Assert.Throws<WalletException>(() => WalletFile.Open(PathOf("junk"), Pass("p")));
        Assert.Throws<WalletException>(() => WalletFile.Open(PathOf("missing"), Pass("p")));
    }

    [Fact]
    public void Key_descriptions_never_show_the_secret()
    {
        Assert.DoesNotContain("hunter2", Pass("hunter2").ToString());
        Assert.DoesNotContain("9", WalletKey.FromRawKey(Enumerable.Repeat((byte)9, 32).ToArray()).ToString());
    }
}
