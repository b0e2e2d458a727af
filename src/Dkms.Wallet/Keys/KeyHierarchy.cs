using System.Security.Cryptography;
using System.Text;
using Dkms.Core.Crypto;
using Dkms.Core.Transactions;

namespace Dkms.Wallet.Keys;

/// <summary>
/// Every key an owner uses, derived deterministically from one 32-byte master secret with
/// HKDF-SHA256 (salt "dkms/v1", info = a labelled path), so restoring the master secret restores
/// every key. Paths (see docs/wallet.md):
/// <list type="bullet">
/// <item><c>dkms/v1/identity/{i}/signing/{rotation}/{k}</c> — Ed25519 signing key k of rotation r; the
/// "next" keys committed at rotation r are those of rotation r + 1</item>
/// <item><c>dkms/v1/identity/{i}/agent/{name}</c> — Ed25519 agent key</item>
/// <item><c>dkms/v1/identity/{i}/key-agreement/{k}</c> — X25519 key-agreement key</item>
/// <item><c>dkms/v1/kek/{name}/{version}</c> — symmetric key-encrypting key</item>
/// </list>
/// </summary>
public sealed class KeyHierarchy : IDisposable
{
    public const int MasterSecretSize = 32;
    private static readonly byte[] Salt = "dkms/v1"u8.ToArray();

    private readonly byte[] _master;

    private KeyHierarchy(byte[] master) => _master = master;

    public static KeyHierarchy FromMasterSecret(ReadOnlySpan<byte> masterSecret)
    {
        if (masterSecret.Length != MasterSecretSize) throw new ArgumentException($"a master secret is {MasterSecretSize} bytes", nameof(masterSecret));
        return new KeyHierarchy(masterSecret.ToArray());
    }

    public static KeyHierarchy Generate() => new(RandomNumberGenerator.GetBytes(MasterSecretSize));

    public Ed25519Signer SigningKey(int identity, int rotation, int index) => Signer($"identity/{identity}/signing/{rotation}/{index}");

    public Ed25519Signer AgentKey(int identity, string agent) => Signer($"identity/{identity}/agent/{agent}");

    public AgreementKey KeyAgreementKey(int identity, int index)
    {
        var seed = Derive($"identity/{identity}/key-agreement/{index}");
        try
        {
            return AgreementKey.FromSeed(seed);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(seed);
        }
    }

    /// <summary>The signing configuration of rotation <paramref name="rotation"/>: its keys, and the digests of rotation + 1's keys.</summary>
    public KeyConfig SigningConfig(int identity, int rotation, int keyCount, int threshold)
    {
        var current = Enumerable.Range(0, keyCount).Select(k => PublicKeyOf(identity, rotation, k)).ToArray();
        var next = Enumerable.Range(0, keyCount).Select(k => PublicKeyOf(identity, rotation + 1, k).Digest()).ToArray();
        return new KeyConfig(current, threshold, next, threshold);
    }

    /// <summary>The key-encrypting key <paramref name="name"/>, version <paramref name="version"/>. Callers zero it after use.</summary>
    public byte[] KeyEncryptionKey(string name, int version) => Derive($"kek/{name}/{version}");

    /// <summary>A copy of the master secret, for an explicit recovery export only.</summary>
    public byte[] ExportMasterSecret() => (byte[])_master.Clone();

    public void Dispose() => CryptographicOperations.ZeroMemory(_master);

    public override string ToString() => "KeyHierarchy(secret hidden)";

    private Core.Primitives.PublicKey PublicKeyOf(int identity, int rotation, int index)
    {
        using var s = SigningKey(identity, rotation, index);
        return s.PublicKey;
    }

    private Ed25519Signer Signer(string path)
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

    private byte[] Derive(string path) =>
        HKDF.DeriveKey(HashAlgorithmName.SHA256, _master, 32, Salt, Encoding.UTF8.GetBytes("dkms/v1/" + path));
}
