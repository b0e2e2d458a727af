using System.Security.Cryptography;
using System.Text;
using Dkms.Wallet.Keys;
using MessagePack;

namespace Dkms.Wallet.Crypto;

/// <summary>
/// Envelope encryption: each object has its own random data key; the data key is stored wrapped
/// under a named, versioned key-encrypting key. Rotating the KEK rewraps the data key and leaves the
/// (possibly large) ciphertext untouched.
/// </summary>
[MessagePackObject]
public sealed record Envelope(
    [property: Key(0)] string KekName,
    [property: Key(1)] int KekVersion,
    [property: Key(2)] byte[] WrappedDataKey,
    [property: Key(3)] byte[] Ciphertext)
{
    /// <summary>Encrypts <paramref name="plaintext"/> under a fresh data key wrapped by KEK <paramref name="kekName"/> v<paramref name="kekVersion"/>.</summary>
    public static Envelope Encrypt(KeyHierarchy keys, string kekName, int kekVersion, ReadOnlySpan<byte> plaintext)
    {
        var dataKey = RandomNumberGenerator.GetBytes(Aead.KeySize);
        try
        {
            var ciphertext = Aead.Seal(dataKey, plaintext, DataAd(kekName));
            return new Envelope(kekName, kekVersion, Wrap(keys, kekName, kekVersion, dataKey), ciphertext);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dataKey);
        }
    }

    public byte[] Decrypt(KeyHierarchy keys)
    {
        var dataKey = Unwrap(keys);
        try
        {
            return Aead.Open(dataKey, Ciphertext, DataAd(KekName), "envelope data");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dataKey);
        }
    }

    /// <summary>The same envelope with its data key rewrapped under version <paramref name="newVersion"/>; the ciphertext is not touched.</summary>
    public Envelope Rewrap(KeyHierarchy keys, int newVersion)
    {
        var dataKey = Unwrap(keys);
        try
        {
            return this with { KekVersion = newVersion, WrappedDataKey = Wrap(keys, KekName, newVersion, dataKey) };
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dataKey);
        }
    }

    private byte[] Unwrap(KeyHierarchy keys)
    {
        var kek = keys.KeyEncryptionKey(KekName, KekVersion);
        try
        {
            return Aead.Open(kek, WrappedDataKey, KekAd(KekName, KekVersion), $"data key wrapped under KEK '{KekName}' v{KekVersion}");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(kek);
        }
    }

    private static byte[] Wrap(KeyHierarchy keys, string name, int version, byte[] dataKey)
    {
        var kek = keys.KeyEncryptionKey(name, version);
        try
        {
            return Aead.Seal(kek, dataKey, KekAd(name, version));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(kek);
        }
    }

    private static byte[] KekAd(string name, int version) => Encoding.UTF8.GetBytes($"dkms/v1/envelope-key/{name}/{version}");

    private static byte[] DataAd(string name) => Encoding.UTF8.GetBytes($"dkms/v1/envelope-data/{name}");
}
