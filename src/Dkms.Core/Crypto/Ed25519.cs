using NSec.Cryptography;
using PublicKey = Dkms.Core.Primitives.PublicKey;

namespace Dkms.Core.Crypto;

/// <summary>Ed25519 verification over NSec (libsodium).</summary>
public static class Ed25519
{
    public const int SignatureSize = 64;
    public const int SeedSize = 32;

    internal static readonly SignatureAlgorithm Algorithm = SignatureAlgorithm.Ed25519;

    /// <summary>True when <paramref name="signature"/> is a valid signature of <paramref name="message"/> by <paramref name="key"/>.
    /// Malformed keys or signatures are simply invalid.</summary>
    public static bool Verify(PublicKey key, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
    {
        if (signature.Length != SignatureSize) return false;
        Span<byte> raw = stackalloc byte[PublicKey.Size];
        key.CopyTo(raw);
        if (!NSec.Cryptography.PublicKey.TryImport(Algorithm, raw, KeyBlobFormat.RawPublicKey, out var nsecKey) || nsecKey is null)
        {
            return false;
        }

        return Algorithm.Verify(nsecKey, message, signature);
    }
}
