using NSec.Cryptography;

namespace Dkms.Wallet.Encryption;

/// <summary>XChaCha20-Poly1305: its 24-byte nonces are safe to draw at random for every message.</summary>
internal static class Aead
{
    public static readonly AeadAlgorithm Algorithm = AeadAlgorithm.XChaCha20Poly1305;
    public const int KeySize = 32;
    public const int NonceSize = 24;
    public const int TagSize = 16;

    public static byte[] Seal(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ad, ReadOnlySpan<byte> plaintext)
    {
        using var k = Key.Import(Algorithm, key, KeyBlobFormat.RawSymmetricKey);
        return Algorithm.Encrypt(k, nonce, ad, plaintext);
    }

    /// <summary>Null when the key, nonce, associated data or ciphertext is wrong.</summary>
    public static byte[]? Open(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ad, ReadOnlySpan<byte> ciphertext)
    {
        if (nonce.Length != NonceSize || ciphertext.Length < TagSize) return null;
        using var k = Key.Import(Algorithm, key, KeyBlobFormat.RawSymmetricKey);
        var plaintext = new byte[ciphertext.Length - TagSize];
        return Algorithm.Decrypt(k, nonce, ad, ciphertext, plaintext) ? plaintext : null;
    }
}
