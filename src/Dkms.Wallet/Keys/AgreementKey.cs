using NSec.Cryptography;
using PublicKey = Dkms.Core.Primitives.PublicKey;

namespace Dkms.Wallet.Keys;

/// <summary>An X25519 key pair whose private half never leaves this object: it only agrees on secrets.</summary>
public sealed class AgreementKey : IDisposable
{
    internal static readonly KeyAgreementAlgorithm Algorithm = KeyAgreementAlgorithm.X25519;

    private readonly Key _key;

    private AgreementKey(Key key)
    {
        _key = key;
        PublicKey = new PublicKey(key.PublicKey.Export(KeyBlobFormat.RawPublicKey));
    }

    public PublicKey PublicKey { get; }

    public static AgreementKey FromSeed(ReadOnlySpan<byte> seed) =>
        new(Key.Import(Algorithm, seed, KeyBlobFormat.RawPrivateKey, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.None }));

    public static AgreementKey Generate() => new(Key.Create(Algorithm, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.None }));

    /// <summary>The X25519 shared secret with <paramref name="peer"/>, or null if the peer key is invalid.</summary>
    internal SharedSecret? Agree(PublicKey peer)
    {
        var raw = peer.ToArray();
        if (!NSec.Cryptography.PublicKey.TryImport(Algorithm, raw, KeyBlobFormat.RawPublicKey, out var nsecPeer) || nsecPeer is null) return null;
        return Algorithm.Agree(_key, nsecPeer);
    }

    public void Dispose() => _key.Dispose();

    public override string ToString() => $"AgreementKey({PublicKey})";
}
