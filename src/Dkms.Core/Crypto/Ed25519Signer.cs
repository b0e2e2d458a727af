using System.Security.Cryptography;
using NSec.Cryptography;
using PublicKey = Dkms.Core.Primitives.PublicKey;

namespace Dkms.Core.Crypto;

/// <summary>An in-process Ed25519 signer. The private key lives in NSec's protected memory and is not exportable.</summary>
public sealed class Ed25519Signer : ISigner, IDisposable
{
    private readonly Key _key;

    private Ed25519Signer(Key key)
    {
        _key = key;
        PublicKey = new PublicKey(key.PublicKey.Export(KeyBlobFormat.RawPublicKey));
    }

    public PublicKey PublicKey { get; }

    /// <summary>A signer for the key whose 32-byte seed is <paramref name="seed"/> (RFC 8032 private key).</summary>
    public static Ed25519Signer FromSeed(ReadOnlySpan<byte> seed)
    {
        if (seed.Length != Ed25519.SeedSize)
        {
            throw new ArgumentException($"an Ed25519 seed is {Ed25519.SeedSize} bytes", nameof(seed));
        }

        var key = Key.Import(Ed25519.Algorithm, seed, KeyBlobFormat.RawPrivateKey,
            new KeyCreationParameters { ExportPolicy = KeyExportPolicies.None });
        return new Ed25519Signer(key);
    }

    /// <summary>A signer for a fresh random key.</summary>
    public static Ed25519Signer Generate()
    {
        Span<byte> seed = stackalloc byte[Ed25519.SeedSize];
        RandomNumberGenerator.Fill(seed);
        try
        {
            return FromSeed(seed);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(seed);
        }
    }

    public byte[] Sign(ReadOnlySpan<byte> message) => Ed25519.Algorithm.Sign(_key, message);

    public void Dispose() => _key.Dispose();

    public override string ToString() => $"Ed25519Signer({PublicKey})";
}
