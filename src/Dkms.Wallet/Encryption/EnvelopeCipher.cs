using System.Security.Cryptography;
using System.Text;
using Dkms.Core.Encoding;
using Dkms.Wallet.Keys;

namespace Dkms.Wallet.Encryption;

/// <summary>
/// Envelope encryption with named, versioned KEKs derived from the master secret
/// (<see cref="KeyPaths.Kek"/>): nothing but the current version per name needs storing, and a
/// restored master secret can still open every envelope. The data's associated data binds the
/// format, the KEK name and the caller's context (not the version, so a rewrap leaves the data
/// ciphertext byte-for-byte unchanged); the wrap's associated data binds name, version and data nonce.
/// </summary>
public sealed class EnvelopeCipher(MasterSecret master, IRandomSource? random = null)
{
    public const int CurrentFormat = 1;
    private readonly IRandomSource _random = random ?? SystemRandomSource.Instance;

    public Envelope Encrypt(string kekName, int kekVersion, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> context = default)
    {
        var dataKey = new byte[Aead.KeySize];
        var nonce = new byte[Aead.NonceSize];
        _random.Fill(dataKey);
        _random.Fill(nonce);
        try
        {
            var ciphertext = Aead.Seal(dataKey, nonce, DataAd(kekName, context), plaintext);
            var (wrapNonce, wrapped) = Wrap(kekName, kekVersion, nonce, dataKey);
            return new Envelope(CurrentFormat, kekName, kekVersion, wrapNonce, wrapped, nonce, ciphertext);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dataKey);
        }
    }

    public byte[] Decrypt(Envelope envelope, ReadOnlySpan<byte> context = default)
    {
        var dataKey = Unwrap(envelope);
        try
        {
            return Aead.Open(dataKey, envelope.Nonce, DataAd(envelope.KekName, context), envelope.Ciphertext)
                ?? throw new DecryptionException("envelope data does not open: wrong context or tampered ciphertext");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dataKey);
        }
    }

    /// <summary>Rewraps the data key under <paramref name="newVersion"/>; the data ciphertext is not touched.</summary>
    public Envelope Rewrap(Envelope envelope, int newVersion)
    {
        var dataKey = Unwrap(envelope);
        try
        {
            var (wrapNonce, wrapped) = Wrap(envelope.KekName, newVersion, envelope.Nonce, dataKey);
            return envelope with { KekVersion = newVersion, WrapNonce = wrapNonce, WrappedDataKey = wrapped };
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dataKey);
        }
    }

    public void EncryptFile(string inputPath, string outputPath, string kekName, int kekVersion) =>
        AtomicFile.Write(outputPath, Codec.Encode(Encrypt(kekName, kekVersion, File.ReadAllBytes(inputPath))));

    public void DecryptFile(string inputPath, string outputPath) =>
        AtomicFile.Write(outputPath, Decrypt(ReadEnvelope(File.ReadAllBytes(inputPath))));

    public static Envelope ReadEnvelope(byte[] bytes) =>
        Codec.TryDecode<Envelope>(bytes, out var envelope, out var error) && envelope is not null
            ? envelope
            : throw new DecryptionException($"not an envelope: {error}");

    private (byte[] Nonce, byte[] Wrapped) Wrap(string kekName, int version, byte[] dataNonce, byte[] dataKey)
    {
        var kek = master.Derive(KeyPaths.Kek(kekName, version));
        try
        {
            var wrapNonce = new byte[Aead.NonceSize];
            _random.Fill(wrapNonce);
            return (wrapNonce, Aead.Seal(kek, wrapNonce, WrapAd(kekName, version, dataNonce), dataKey));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(kek);
        }
    }

    private byte[] Unwrap(Envelope envelope)
    {
        if (envelope.Format != CurrentFormat) throw new DecryptionException($"unknown envelope format {envelope.Format}");
        var kek = master.Derive(KeyPaths.Kek(envelope.KekName, envelope.KekVersion));
        try
        {
            return Aead.Open(kek, envelope.WrapNonce, WrapAd(envelope.KekName, envelope.KekVersion, envelope.Nonce), envelope.WrappedDataKey)
                ?? throw new DecryptionException("data key does not unwrap: wrong KEK or tampered envelope");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(kek);
        }
    }

    private static byte[] DataAd(string kekName, ReadOnlySpan<byte> context) =>
        [.. Encoding.UTF8.GetBytes($"dkms/v1/envelope/{CurrentFormat}/data/{kekName}/"), .. context];

    private static byte[] WrapAd(string kekName, int version, byte[] dataNonce) =>
        [.. Encoding.UTF8.GetBytes($"dkms/v1/envelope/{CurrentFormat}/wrap/{kekName}/{version}/"), .. dataNonce];
}
