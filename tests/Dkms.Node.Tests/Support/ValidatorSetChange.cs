using Dkms.Client;
using Dkms.Core.Primitives;
using Dkms.Core.Transactions;
using Dkms.Node.Testing;
using Dkms.Rpc;

namespace Dkms.Node.Tests.Support;

/// <summary>A SetValidators on an in-process testnet, as its operators would sign it.</summary>
internal static class ValidatorSetChange
{
    /// <summary>Signs a SetValidators with the given nodes' keys over the set the node <paramref name="via"/> reports, submits
    /// it there and returns the height it committed at.</summary>
    public static async Task<ulong> CommitAsync(InProcessTestnet net, int via, int[] signers, Func<ValidatorEntry[], ValidatorEntry[]> change)
    {
        using var client = new DkmsRpcClient(net.RpcEndpoints[via]);
        var current = await client.ValidatorsAsync();
        var set = current.Validators.Select(v => new ValidatorEntry(PublicKey.ParseHex(v.NodeKey), v.Address, v.Power)).ToArray();
        var sequence = net.Node(via).Ledger.CommittedSequence(Governance.Subject) + 1;
        var tx = TransactionCodec.Sign(new TxBody(InProcessTestnet.ChainId, Governance.Subject, sequence, new SetValidatorsPayload(change(set))),
            signers.Select(i => (net.SignerOf(i), (IdentityId?)null)));
        var r = await client.SubmitAsync(tx, SubmitModes.Commit, 30_000);
        Assert.Equal(TxStatuses.Committed, r.Status);
        return r.Height!.Value;
    }
}
