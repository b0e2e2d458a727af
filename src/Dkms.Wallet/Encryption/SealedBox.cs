using System.Security.Cryptography;
using System.Text;
using Dkms.Wallet.Keys;
using NSec.Cryptography;
using PublicKey = Dkms.Core.Primitives.PublicKey;

namespace Dkms.Wallet.Encryption;

/// <summary>
/// Encryption to an X25519 public key ("sealed box"): a fresh ephemeral key pair, X25519 agreement,
/// HKDF-SHA256 to an XChaCha20-Poly1305 key. Layout: version (1) | ephemeral public key (32) | nonce (24) | ciphertext.
/// The KDF info and the AEAD associated data both contain the ephemeral key, the recipient key and the
/// caller's context, so a box opens only for its recipient and only under the context it was sealed with.
/// </summary>
public static class SealedBox
{
    private const byte Version = 1;
    private const int HeaderSize = 1 + 32 + Aead.NonceSize;

    /// <summary>Bytes a box adds to its plaintext: header and AEAD tag.</summary>
    public const int Overhead = HeaderSize + Aead.TagSize;
    private static readonly byte[] Label = Encoding.ASCII.GetBytes("dkms/v1/sealed-box");

    public static byte[] Seal(PublicKey recipient, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> context, IRandomSource? random = null)
    {
        random ??= SystemRandomSource.Instance;
        using var ephemeral = X25519KeyPair.Generate(random);
        var nonce = new byte[Aead.NonceSize];
        random.Fill(nonce);
        var bound = Bind(ephemeral.PublicKey, recipient, context);
        var key = DeriveKey(ephemeral.Key, recipient, bound);
        try
        {
            var ciphertext = Aead.Seal(key, nonce, bound, plaintext);
            var output = new byte[HeaderSize + ciphertext.Length];
            output[0] = Version;
            ephemeral.PublicKey.CopyTo(output.AsSpan(1));
            nonce.CopyTo(output, 33);
            ciphertext.CopyTo(output, HeaderSize);
            return output;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    public static byte[] Open(X25519KeyPair recipient, ReadOnlySpan<byte> sealedBox, ReadOnlySpan<byte> context)
    {
        if (sealedBox.Length < HeaderSize + Aead.TagSize || sealedBox[0] != Version) throw new DecryptionException("not a sealed box");
        var ephemeral = new PublicKey(sealedBox.Slice(1, 32));
        var bound = Bind(ephemeral, recipient.PublicKey, context);
        var key = DeriveKey(recipient.Key, ephemeral, bound);
        try
        {
            return Aead.Open(key, sealedBox.Slice(33, Aead.NonceSize), bound, sealedBox[HeaderSize..])
                ?? throw new DecryptionException("sealed box does not open: wrong recipient, wrong context or tampered");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    private static byte[] Bind(PublicKey ephemeral, PublicKey recipient, ReadOnlySpan<byte> context)
    {
        var bound = new byte[Label.Length + 64 + context.Length];
        Label.CopyTo(bound, 0);
        ephemeral.CopyTo(bound.AsSpan(Label.Length));
        recipient.CopyTo(bound.AsSpan(Label.Length + 32));
        context.CopyTo(bound.AsSpan(Label.Length + 64));
        return bound;
    }

    private static byte[] DeriveKey(Key privateKey, PublicKey peer, byte[] info)
    {
        var raw = peer.ToArray();
        if (!NSec.Cryptography.PublicKey.TryImport(X25519KeyPair.Algorithm, raw, KeyBlobFormat.RawPublicKey, out var peerKey) || peerKey is null)
        {
            throw new DecryptionException("invalid X25519 public key");
        }

        using var shared = X25519KeyPair.Algorithm.Agree(privateKey, peerKey)
            ?? throw new DecryptionException("X25519 agreement failed (low-order public key)");
        return KeyDerivationAlgorithm.HkdfSha256.DeriveBytes(shared, [], info, Aead.KeySize);
    }
}
