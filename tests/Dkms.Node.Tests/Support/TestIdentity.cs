using System.Text;
using Dkms.Client;
using Dkms.Core.Crypto;
using Dkms.Core.Primitives;
using Dkms.Core.Transactions;

namespace Dkms.Node.Tests.Support;

/// <summary>An identity owner with deterministic keys: rotation r's key is derived from the name and r.</summary>
public sealed class TestIdentity(string name, TransactionBuilder builder)
{
    public IdentityId Id { get; private set; }

    public int Rotation { get; private set; }

    public ulong Sequence { get; private set; }

    public Ed25519Signer KeyAt(int rotation) => Ed25519Signer.FromSeed(Hash32.Sha256(Encoding.UTF8.GetBytes($"{name}/{rotation}")).ToArray());

    public KeyConfig ConfigAt(int rotation) => new([KeyAt(rotation).PublicKey], 1, [KeyAt(rotation + 1).PublicKey.Digest()], 1);

    public Transaction Incept(KeyAgreementKeyEntry[]? keyAgreement = null)
    {
        var (tx, id) = builder.Inception(ConfigAt(0), [KeyAt(0)], keyAgreement);
        Id = id;
        Sequence = 1;
        return tx;
    }

    public Transaction Rotate()
    {
        var tx = builder.Rotation(Id, ++Sequence, ConfigAt(Rotation + 1), [KeyAt(Rotation + 1)]);
        Rotation++;
        return tx;
    }

    public Transaction AddKeyAgreementKey(string keyId, PublicKey key) =>
        builder.AddKeyAgreementKey(Id, ++Sequence, new KeyAgreementKeyEntry(keyId, key, "encryption"), [KeyAt(Rotation)]);
}
