using System.Text;
using Dkms.Core.Crypto;
using Dkms.Core.Primitives;
using Dkms.Core.Transactions;
using Dkms.Rpc;

namespace Dkms.Client.Tests.Support;

/// <summary>An identity owner with deterministic keys (rotation r's key comes from the name and r) who commits its
/// transactions through <see cref="Client"/> and remembers the height each one landed at.</summary>
public sealed class Owner(string name, DkmsRpcClient client, TransactionBuilder builder)
{
    public IdentityId Id { get; private set; }

    public int Rotation { get; private set; }

    public ulong Sequence { get; private set; }

    public DkmsRpcClient Client { get; } = client;

    public static Ed25519Signer Key(string seed) => Ed25519Signer.FromSeed(Hash32.Sha256(Encoding.UTF8.GetBytes(seed)).ToArray());

    public Ed25519Signer KeyAt(int rotation) => Key($"{name}/{rotation}");

    public PublicKey AgreementKey(int i) => Key($"{name}/x25519/{i}").PublicKey;

    private KeyConfig ConfigAt(int rotation) => new([KeyAt(rotation).PublicKey], 1, [KeyAt(rotation + 1).PublicKey.Digest()], 1);

    public async Task<ulong> InceptAsync()
    {
        var (tx, id) = builder.Inception(ConfigAt(0), [KeyAt(0)], [new KeyAgreementKeyEntry("x25519-0", AgreementKey(0), "encryption")]);
        Id = id;
        Sequence = 1;
        return await CommitAsync(tx);
    }

    public async Task<ulong> RotateAsync()
    {
        var tx = builder.Rotation(Id, ++Sequence, ConfigAt(Rotation + 1), [KeyAt(Rotation + 1)]);
        Rotation++;
        return await CommitAsync(tx);
    }

    public Task<ulong> AddAgreementKeyAsync(int i) =>
        CommitAsync(builder.AddKeyAgreementKey(Id, ++Sequence, new KeyAgreementKeyEntry($"x25519-{i}", AgreementKey(i), "encryption"), [KeyAt(Rotation)]));

    public Task<ulong> RevokeAgreementKeyAsync(int i) =>
        CommitAsync(builder.RevokeKey(Id, ++Sequence, $"x25519-{i}", null, null, [KeyAt(Rotation)]));

    public Task<ulong> SetAgentAsync(string policyId, PublicKey agent, AgentRights rights) =>
        CommitAsync(builder.SetAgentPolicy(Id, ++Sequence, policyId, [new AgentChange(agent, rights)], null, [(KeyAt(Rotation), null)]));

    public Task<ulong> DeactivateAsync() => CommitAsync(builder.Deactivate(Id, ++Sequence, [KeyAt(Rotation + 1)]));

    private async Task<ulong> CommitAsync(Transaction tx)
    {
        var result = await Client.SubmitAsync(tx, SubmitModes.Commit, 30_000);
        Assert.Equal(TxStatuses.Committed, result.Status);
        return result.Height!.Value;
    }
}
