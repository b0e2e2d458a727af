using Dkms.Wallet.Keys;
using NSec.Cryptography;
using PublicKey = Dkms.Core.Primitives.PublicKey;

namespace Dkms.Wallet.Crypto;

/// <summary>
/// Encryption to an X25519 public key (a key-agreement key as published on the ledger): a fresh
/// ephemeral key pair per message, HKDF-SHA256 over the shared secret with both public keys and the
/// caller's context bound in, then XChaCha20-Poly1305 with the context as associated data.
/// Layout: ephemeral public key (32) ‖ nonce (24) ‖ ciphertext ‖ tag (16).
/// </summary>
public static class SealedBox
{
    private static readonly byte[] Info = "dkms/v1/sealed-box"u8.ToArray();

    public static byte[] Seal(PublicKey recipient, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> context)
    {
        using var ephemeral = AgreementKey.Generate();
        var key = DeriveKey(ephemeral, recipient, ephemeral.PublicKey, recipient, context)
            ?? throw new WalletException("the recipient's key-agreement key is not a valid X25519 key");
        var box = Aead.Seal(key, plaintext, context);
        return [.. ephemeral.PublicKey.ToArray(), .. box];
    }

    public static byte[] Open(AgreementKey recipient, ReadOnlySpan<byte> sealedBytes, ReadOnlySpan<byte> context)
    {
        if (sealedBytes.Length < PublicKey.Size + Aead.Overhead) throw new WalletException("sealed data is too short");
        var ephemeral = new PublicKey(sealedBytes[..PublicKey.Size]);
        var key = DeriveKey(recipient, ephemeral, ephemeral, recipient.PublicKey, context)
            ?? throw new WalletException("sealed data carries an invalid ephemeral key");
        return Aead.Open(key, sealedBytes[PublicKey.Size..], context, "sealed data (not for this key, or changed)");
    }

    private static byte[]? DeriveKey(AgreementKey own, PublicKey peer, PublicKey ephemeral, PublicKey recipient, ReadOnlySpan<byte> context)
    {
        using var shared = own.Agree(peer);
        if (shared is null) return null;
        byte[] salt = [.. ephemeral.ToArray(), .. recipient.ToArray()];
        byte[] info = [.. Info, .. context];
        return KeyDerivationAlgorithm.HkdfSha256.DeriveBytes(shared, salt, info, Aead.KeySize);
    }
}
