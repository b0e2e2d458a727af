using System.Text;
using Dkms.Client;
using Dkms.Core.Crypto;
using Dkms.Core.Primitives;
using Dkms.Core.Transactions;
using Dkms.Rpc;

namespace Dkms.Node.Testing;

/// <summary>Validator-set changes on an <see cref="InProcessTestnet"/>, signed with its nodes' keys, for tests of what
/// follows the set (clients, the CLI).</summary>
public static class ValidatorSetChanges
{
    /// <summary>The heights the two changes of <see cref="AddThenRemoveAsync"/> committed at, the node added, and a height
    /// at which the second change is in force.</summary>
    public sealed record TwoChanges(ulong Added, ulong Removed, int NewNode, ulong InForce);

    /// <summary>
    /// Adds a node that is not in the genesis (started, so it votes) with power 2, then removes genesis node 3. Power 2 makes
    /// the added node needed for every quorum after the first change (4 of 6, then 3 of 5 without it), so every later
    /// commit certificate carries its signature and none verifies against the genesis set. Then commits blocks until the
    /// second change is in force. The testnet must have four validators, all running.
    /// </summary>
    public static async Task<TwoChanges> AddThenRemoveAsync(InProcessTestnet net, int via = 0)
    {
        var added = net.AddNode();
        await net.StartNodeAsync(added).ConfigureAwait(false);
        var first = await ChangeAsync(net, via, [0, 1, 2], set => [.. set, new ValidatorEntry(net.KeyOf(added), net.P2PAddressOf(added), 2)]).ConfigureAwait(false);
        var top = first;
        for (var i = 0; top < first + Governance.ActivationDelay; i++) top = await CommitIdentityAsync(net, via, $"after-add-{i}").ConfigureAwait(false);
        var second = await ChangeAsync(net, via, [0, 1, 2, added], set => [.. set.Where(v => v.NodeKey != net.KeyOf(3))]).ConfigureAwait(false);
        top = second;
        for (var i = 0; top < second + Governance.ActivationDelay; i++) top = await CommitIdentityAsync(net, via, $"after-remove-{i}").ConfigureAwait(false);
        return new TwoChanges(first, second, added, top);
    }

    /// <summary>Signs a SetValidators with the given nodes' keys over the set node <paramref name="via"/> reports, submits it
    /// there and returns the height it committed at.</summary>
    public static async Task<ulong> ChangeAsync(InProcessTestnet net, int via, int[] signers, Func<ValidatorEntry[], ValidatorEntry[]> change)
    {
        using var client = new DkmsRpcClient(net.RpcEndpoints[via]);
        var current = await client.ValidatorsAsync().ConfigureAwait(false);
        var set = current.Validators.Select(v => new ValidatorEntry(PublicKey.ParseHex(v.NodeKey), v.Address, v.Power)).ToArray();
        var tx = TransactionCodec.Sign(new TxBody(InProcessTestnet.ChainId, Governance.Subject, current.Sequence + 1, new SetValidatorsPayload(change(set))),
            signers.Select(i => (net.SignerOf(i), (IdentityId?)null)));
        return await CommitAsync(client, tx).ConfigureAwait(false);
    }

    /// <summary>Commits a new identity named by <paramref name="seed"/> (a block to move the chain on); returns its height.</summary>
    public static async Task<ulong> CommitIdentityAsync(InProcessTestnet net, int via, string seed)
    {
        using var client = new DkmsRpcClient(net.RpcEndpoints[via]);
        var key = Key(seed + "/0");
        var (tx, _) = new TransactionBuilder(InProcessTestnet.ChainId).Inception(new KeyConfig([key.PublicKey], 1, [Key(seed + "/1").PublicKey.Digest()], 1), [key]);
        return await CommitAsync(client, tx).ConfigureAwait(false);
    }

    private static async Task<ulong> CommitAsync(DkmsRpcClient client, Transaction tx)
    {
        var r = await client.SubmitAsync(tx, SubmitModes.Commit, 30_000).ConfigureAwait(false);
        return r.Status == TxStatuses.Committed ? r.Height!.Value : throw new InvalidOperationException($"the transaction did not commit: {r.Status} {r.Code} {r.Message}");
    }

    private static Ed25519Signer Key(string seed) => Ed25519Signer.FromSeed(Hash32.Sha256(Encoding.UTF8.GetBytes("validator-set-changes/" + seed)).ToArray());
}
