using Dkms.Client;
using Dkms.Node.Testing;
using Dkms.Rpc;

namespace Dkms.Node.Tests.Support;

/// <summary>Commits one new identity at a time through a node's RPC, to move a testnet's chain forward.</summary>
internal sealed class Inceptions(InProcessTestnet net, string prefix)
{
    private readonly TransactionBuilder _builder = new(InProcessTestnet.ChainId);
    private int _count;

    /// <summary>Incepts a new identity through node <paramref name="via"/>, waits for its commit and returns the height.</summary>
    public async Task<ulong> CommitOneAsync(int via)
    {
        using var client = new DkmsRpcClient(net.RpcEndpoints[via]);
        var r = await client.SubmitAsync(new TestIdentity($"{prefix}{_count++}", _builder).Incept(), SubmitModes.Commit, 30_000);
        Assert.Equal(TxStatuses.Committed, r.Status);
        return r.Height!.Value;
    }
}
