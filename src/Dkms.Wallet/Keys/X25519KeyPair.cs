using NSec.Cryptography;
using PublicKey = Dkms.Core.Primitives.PublicKey;

namespace Dkms.Wallet.Keys;

/// <summary>An X25519 key-agreement key pair. The private key never leaves NSec; it is used only inside this library.</summary>
public sealed class X25519KeyPair : IDisposable
{
    internal static readonly KeyAgreementAlgorithm Algorithm = KeyAgreementAlgorithm.X25519;

    private X25519KeyPair(Key key)
    {
        Key = key;
        PublicKey = new PublicKey(key.PublicKey.Export(KeyBlobFormat.RawPublicKey));
    }

    public PublicKey PublicKey { get; }

    internal Key Key { get; }

    public static X25519KeyPair FromSeed(ReadOnlySpan<byte> seed) =>
        new(Key.Import(Algorithm, seed, KeyBlobFormat.RawPrivateKey, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.None }));

    /// <summary>A fresh key pair, e.g. a requester's one-time key for receiving a re-sealed share.</summary>
    public static X25519KeyPair Generate(IRandomSource? random = null)
    {
        Span<byte> seed = stackalloc byte[32];
        (random ?? SystemRandomSource.Instance).Fill(seed);
        try
        {
            return FromSeed(seed);
        }
        finally
        {
            seed.Clear();
        }
    }

    public void Dispose() => Key.Dispose();

    public override string ToString() => $"X25519KeyPair({PublicKey})";
}
