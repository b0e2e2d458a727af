using System.Security.Cryptography;
using Dkms.Core.Encoding;
using Dkms.Wallet.Crypto;
using MessagePack;

namespace Dkms.Wallet.Files;

/// <summary>Key-derivation settings stored in the clear in the wallet header.</summary>
[MessagePackObject]
public sealed record WalletKdfParameters(
    [property: Key(0)] string Kdf,
    [property: Key(1)] byte[] Salt,
    [property: Key(2)] long MemoryKiB,
    [property: Key(3)] long Passes);

/// <summary>
/// The on-disk form. <see cref="Fixed"/> (format and wallet id) never changes and is the associated
/// data of the content; the KDF parameters and the wrapped content key change with the passphrase,
/// and are bound to <see cref="Fixed"/> as associated data of the wrapping.
/// </summary>
[MessagePackObject]
public sealed record WalletFileLayout(
    [property: Key(0)] byte[] Fixed,
    [property: Key(1)] WalletKdfParameters KdfParameters,
    [property: Key(2)] byte[] WrappedContentKey,
    [property: Key(3)] byte[] Content);

/// <summary>
/// One encrypted wallet document: content encrypted under a random content key, the content key
/// wrapped under the key from the passphrase (Argon2id) or a raw key. Changing the passphrase
/// rewraps the content key only. Every write is atomic: temp file in the same folder, fsync, rename.
/// </summary>
public static class WalletFile
{
    private const string Magic = "DKMS-WALLET";
    private const int FormatVersion = 1;

    public static void Create(string path, byte[] content, WalletKey key)
    {
        if (File.Exists(path)) throw new WalletException($"{path} already exists; refusing to overwrite a wallet");
        var fixedPart = Codec.Encode<object[]>([Magic, FormatVersion, RandomNumberGenerator.GetBytes(16)]);
        var contentKey = RandomNumberGenerator.GetBytes(Aead.KeySize);
        try
        {
            var kdf = key.NewParameters();
            var layout = new WalletFileLayout(fixedPart, kdf, WrapContentKey(key, kdf, fixedPart, contentKey), Aead.Seal(contentKey, content, fixedPart));
            AtomicWrite(path, Codec.Encode(layout));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(contentKey);
        }
    }

    /// <summary>The decrypted content; <see cref="WalletException"/> for a wrong key or a damaged file.</summary>
    public static byte[] Open(string path, WalletKey key)
    {
        var layout = Read(path);
        var contentKey = UnwrapContentKey(layout, key);
        try
        {
            return Aead.Open(contentKey, layout.Content, layout.Fixed, "wallet content (the file was changed)");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(contentKey);
        }
    }

    /// <summary>Replaces the content, keeping the content key and the unlock key.</summary>
    public static void Save(string path, byte[] content, WalletKey key, Action? beforeReplace = null)
    {
        var layout = Read(path);
        var contentKey = UnwrapContentKey(layout, key);
        try
        {
            AtomicWrite(path, Codec.Encode(layout with { Content = Aead.Seal(contentKey, content, layout.Fixed) }), beforeReplace);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(contentKey);
        }
    }

    /// <summary>Rewraps the content key under <paramref name="newKey"/>; the encrypted content is not touched.</summary>
    public static void ChangeKey(string path, WalletKey oldKey, WalletKey newKey)
    {
        var layout = Read(path);
        var contentKey = UnwrapContentKey(layout, oldKey);
        try
        {
            var kdf = newKey.NewParameters();
            AtomicWrite(path, Codec.Encode(layout with { KdfParameters = kdf, WrappedContentKey = WrapContentKey(newKey, kdf, layout.Fixed, contentKey) }));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(contentKey);
        }
    }

    private static WalletFileLayout Read(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new WalletException($"cannot read wallet {path}: {e.Message}", e);
        }

        if (!Codec.TryDecode<WalletFileLayout>(bytes, out var layout, out var why) || layout?.Fixed is null || layout.KdfParameters?.Salt is null
            || layout.WrappedContentKey is null || layout.Content is null)
        {
            throw new WalletException($"{path} is not a wallet file or is damaged ({why})");
        }

        if (!Codec.TryDecode<object[]>(layout.Fixed, out var fixedPart, out _) || fixedPart is not [string magic, _, _] || magic != Magic)
        {
            throw new WalletException($"{path} is not a DKMS wallet file");
        }

        var kdf = layout.KdfParameters;
        var sane = kdf.Kdf switch
        {
            "argon2id" => kdf.Salt.Length == 16 && kdf.MemoryKiB is >= 8 and <= 4L * 1024 * 1024 && kdf.Passes is >= 1 and <= 64,
            "raw" => kdf.Salt.Length == 0 && kdf.MemoryKiB == 0 && kdf.Passes == 0,
            _ => false,
        };
        if (!sane) throw new WalletException($"{path} has unknown or unreasonable key-derivation settings; refusing");

        return layout;
    }

    private static byte[] WrapContentKey(WalletKey key, WalletKdfParameters kdf, byte[] fixedPart, byte[] contentKey)
    {
        var unlock = key.Derive(kdf);
        try
        {
            return Aead.Seal(unlock, contentKey, WrapAd(fixedPart, kdf));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(unlock);
        }
    }

    private static byte[] UnwrapContentKey(WalletFileLayout layout, WalletKey key)
    {
        var unlock = key.Derive(layout.KdfParameters);
        try
        {
            return Aead.Open(unlock, layout.WrappedContentKey, WrapAd(layout.Fixed, layout.KdfParameters), "wallet key (wrong passphrase or key, or a damaged header)");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(unlock);
        }
    }

    private static byte[] WrapAd(byte[] fixedPart, WalletKdfParameters kdf) => [.. fixedPart, .. Codec.Encode(kdf)];

    /// <summary>Temp file in the same folder, flushed to disk, then renamed over the target: a crash leaves the old file or the new one, never half of either.</summary>
    internal static void AtomicWrite(string path, byte[] bytes, Action? beforeReplace = null)
    {
        var full = Path.GetFullPath(path);
        var temp = full + ".tmp-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(4));
        try
        {
            using (var f = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                f.Write(bytes);
                f.Flush(flushToDisk: true);
            }

            beforeReplace?.Invoke();
            File.Move(temp, full, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new WalletException($"cannot write wallet {path}: {e.Message}", e);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }
}
