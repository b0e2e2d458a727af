using System.Security.Cryptography;
using System.Text;
using Dkms.Core.Crypto;
using Dkms.Core.Primitives;

namespace Dkms.Wallet.Keys;

/// <summary>The pre-rotation material of one rotation, ready for a KeyConfig: the keys, their threshold and the digests of the next rotation's keys.</summary>
public sealed record RotationKeySet(int Rotation, IReadOnlyList<PublicKey> Keys, int Threshold, IReadOnlyList<Hash32> NextKeyDigests);

/// <summary>
/// The 32-byte root of the key hierarchy. Derives every key by HKDF-SHA256 over a <see cref="KeyPaths"/>
/// label. The bytes are zeroed on <see cref="Dispose"/> and never appear in <see cref="ToString"/>.
/// </summary>
public sealed class MasterSecret : IDisposable
{
    public const int Size = 32;
    private static readonly byte[] Salt = Encoding.ASCII.GetBytes(KeyPaths.Root);
    private readonly byte[] _bytes;
    private bool _disposed;

    private MasterSecret(byte[] bytes) => _bytes = bytes;

    public static MasterSecret Generate(IRandomSource? random = null)
    {
        var bytes = new byte[Size];
        (random ?? SystemRandomSource.Instance).Fill(bytes);
        return new MasterSecret(bytes);
    }

    /// <summary>A master secret from its bytes (restore from a recovery share set); the caller keeps ownership of <paramref name="bytes"/>.</summary>
    public static MasterSecret FromBytes(ReadOnlySpan<byte> bytes) =>
        bytes.Length == Size ? new MasterSecret(bytes.ToArray()) : throw new ArgumentException($"a master secret is {Size} bytes", nameof(bytes));

    /// <summary>A copy of the secret, for an explicit export (SLIP-0039, social recovery). The caller must zero it.</summary>
    public byte[] Export()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return (byte[])_bytes.Clone();
    }

    /// <summary>The 32 bytes derived for <paramref name="path"/>, for the caller to zero after use.</summary>
    internal byte[] Derive(string path)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var output = new byte[32];
        HKDF.DeriveKey(HashAlgorithmName.SHA256, _bytes, output, Salt, Encoding.UTF8.GetBytes(path));
        return output;
    }

    public Ed25519Signer Signer(string path)
    {
        var seed = Derive(path);
        try
        {
            return Ed25519Signer.FromSeed(seed);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(seed);
        }
    }

    public X25519KeyPair KeyAgreement(string path)
    {
        var seed = Derive(path);
        try
        {
            return X25519KeyPair.FromSeed(seed);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(seed);
        }
    }

    public Ed25519Signer SigningKey(int identity, int rotation, int index) => Signer(KeyPaths.Signing(identity, rotation, index));

    public Ed25519Signer AgentKey(int identity, string agent) => Signer(KeyPaths.Agent(identity, agent));

    public X25519KeyPair KeyAgreementKey(int identity, int index) => KeyAgreement(KeyPaths.KeyAgreement(identity, index));

    /// <summary>Public signing keys of one rotation.</summary>
    public IReadOnlyList<PublicKey> SigningPublicKeys(int identity, int rotation, int count)
    {
        var keys = new List<PublicKey>(count);
        for (var i = 0; i < count; i++)
        {
            using var signer = SigningKey(identity, rotation, i);
            keys.Add(signer.PublicKey);
        }

        return keys;
    }

    /// <summary>
    /// The keys of <paramref name="rotation"/> (threshold <paramref name="threshold"/> of <paramref name="count"/>)
    /// and the SHA-256 digests of the keys of rotation + 1, which this rotation commits to (pre-rotation).
    /// </summary>
    public RotationKeySet RotationKeys(int identity, int rotation, int count, int threshold, int? nextCount = null)
    {
        if (threshold < 1 || threshold > count) throw new ArgumentOutOfRangeException(nameof(threshold), "need 1 <= threshold <= count");
        var keys = SigningPublicKeys(identity, rotation, count);
        var next = SigningPublicKeys(identity, rotation + 1, nextCount ?? count).Select(k => k.Digest()).ToList();
        return new RotationKeySet(rotation, keys, threshold, next);
    }

    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(_bytes);
        _disposed = true;
    }

    public override string ToString() => "MasterSecret(***)";
}
