using Dkms.Client;
using Dkms.Node.Testing;
using Dkms.Node.Tests.Support;
using Dkms.Rpc;

namespace Dkms.Node.Tests.Rpc;

/// <summary>Four in-process validators over the real LiteNetLib transport on loopback.</summary>
public sealed class LiteNetTestnetTests
{
    [Fact]
    public async Task Four_nodes_over_LiteNetLib_commit_transactions_submitted_to_different_nodes()
    {
        await using var net = await InProcessTestnet.StartAsync(4, transport: TestnetTransport.LiteNetLib);
        var builder = new TransactionBuilder(InProcessTestnet.ChainId);
        var people = Enumerable.Range(0, 8).Select(i => new TestIdentity($"person{i}", builder)).ToArray();

        var submissions = people.Select((p, i) =>
        {
            var client = new DkmsRpcClient(net.RpcEndpoints[i % 4]);
            return client.SubmitAsync(p.Incept(), SubmitModes.Commit, 30_000).ContinueWith(t => { client.Dispose(); return t.Result; });
        });
        var results = await Task.WhenAll(submissions);

        Assert.All(results, r => Assert.Equal(TxStatuses.Committed, r.Status));
        var top = results.Max(r => r.Height!.Value);
        Assert.True(await net.WaitForHeightAsync(top, TimeSpan.FromSeconds(30)));
        Assert.Single(Enumerable.Range(0, 4).Select(i => net.Node(i).Ledger.GetHeight(top)!.StateRoot).Distinct());
        // Eventually every node holds a session with each of the other three (both ends dial; one of two is kept).
        Assert.True(await net.WaitForFullMeshAsync(TimeSpan.FromSeconds(30)), string.Join(", ", Enumerable.Range(0, 4).Select(i => net.Node(i).Peers.Count)));
    }
}
