using NSec.Cryptography;

namespace Dkms.Wallet.Crypto;

/// <summary>
/// XChaCha20-Poly1305 with a random 24-byte nonce stored in front of the ciphertext. The long nonce
/// makes random nonces safe for any number of messages under one key.
/// </summary>
public static class Aead
{
    private static readonly AeadAlgorithm Algorithm = AeadAlgorithm.XChaCha20Poly1305;

    public const int KeySize = 32;
    public static int NonceSize => Algorithm.NonceSize;
    public static int Overhead => Algorithm.NonceSize + Algorithm.TagSize;

    public static byte[] Seal(ReadOnlySpan<byte> key, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData)
    {
        using var k = Import(key);
        var nonce = new byte[Algorithm.NonceSize];
        System.Security.Cryptography.RandomNumberGenerator.Fill(nonce);
        var output = new byte[nonce.Length + plaintext.Length + Algorithm.TagSize];
        nonce.CopyTo(output, 0);
        Algorithm.Encrypt(k, nonce, associatedData, plaintext, output.AsSpan(nonce.Length));
        return output;
    }

    /// <summary>Decrypts, or throws <see cref="WalletException"/> with <paramref name="what"/> when the key is wrong or the bytes were changed.</summary>
    public static byte[] Open(ReadOnlySpan<byte> key, ReadOnlySpan<byte> sealedBytes, ReadOnlySpan<byte> associatedData, string what)
    {
        if (sealedBytes.Length < Overhead) throw new WalletException($"{what}: too short to be encrypted data");
        using var k = Import(key);
        var plaintext = new byte[sealedBytes.Length - Overhead];
        if (!Algorithm.Decrypt(k, sealedBytes[..Algorithm.NonceSize], associatedData, sealedBytes[Algorithm.NonceSize..], plaintext))
        {
            throw new WalletException($"{what}: wrong key, or the data was changed");
        }

        return plaintext;
    }

    private static Key Import(ReadOnlySpan<byte> key) =>
        Key.Import(Algorithm, key, KeyBlobFormat.RawSymmetricKey, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.None });
}
