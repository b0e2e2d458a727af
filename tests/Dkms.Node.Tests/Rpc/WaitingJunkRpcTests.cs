using Dkms.Client;
using Dkms.Node.Mempool;
using Dkms.Node.Testing;
using Dkms.Node.Tests.Support;
using Dkms.Rpc;

namespace Dkms.Node.Tests.Rpc;

/// <summary>
/// The waiting-junk flood through a node's RPC on a four-validator testnet with small mempools: the flooded node keeps
/// a bounded share of it, the other validators never see it, and valid transactions of every client still commit.
/// </summary>
public sealed class WaitingJunkRpcTests
{
    private const int PoolSize = 300;

    [Fact]
    public async Task A_junk_flood_through_RPC_stays_on_the_flooded_node_within_its_share_and_valid_transactions_still_commit()
    {
        await using var net = await InProcessTestnet.StartAsync(4, mempool: new MempoolOptions { MaxTransactions = PoolSize });
        using var client = new DkmsRpcClient(net.RpcEndpoints[0], TimeSpan.FromSeconds(60));
        var builder = new TransactionBuilder(InProcessTestnet.ChainId);
        var owners = Enumerable.Range(0, 10).Select(i => new TestIdentity($"junk-rpc/owner{i}", builder)).ToArray();
        foreach (var o in owners) Assert.Equal(TxStatuses.Committed, (await client.SubmitAsync(o.Incept(), SubmitModes.Commit, 30_000)).Status);
        var junk = new WaitingJunk(builder, seed: 18);
        var known = owners.Select(o => (o.Id, o.Sequence)).ToList();
        var flood = Enumerable.Range(0, 3 * PoolSize).Select(_ => junk.Next(known)).ToArray();

        var answers = await client.SubmitBatchAsync(flood.Select(t => t.Encoded), SubmitModes.Sync);

        Assert.Equal(flood.Length, answers.Length);
        Assert.DoesNotContain(answers, a => a.Status == TxStatuses.Committed);
        // Valid transactions after the flood, to the flooded node and to another one: each commits.
        var valid = owners.Select(o => o.Rotate()).Concat(Enumerable.Range(0, 10).Select(i => new TestIdentity($"junk-rpc/new{i}", builder).Incept())).ToArray();
        using var other = new DkmsRpcClient(net.RpcEndpoints[1], TimeSpan.FromSeconds(60));
        for (var i = 0; i < valid.Length; i++)
        {
            var r = await (i % 2 == 0 ? client : other).SubmitAsync(valid[i], SubmitModes.Commit, 30_000);
            Assert.Equal(TxStatuses.Committed, r.Status);
        }

        var held = flood.Count(t => net.Node(0).Pool.Contains(t.Hash));
        Assert.True(held <= PoolSize / 10, $"the flooded node holds {held} junk transactions");
        // An operator sees the junk the node holds in its metrics.
        using var http = new HttpClient { BaseAddress = net.RpcEndpoints[0] };
        var metrics = await http.GetStringAsync("metrics");
        var orphans = metrics.Split('\n').Single(l => l.StartsWith("dkms_mempool_orphans ", StringComparison.Ordinal));
        Assert.Equal(net.Node(0).Pool.OrphanCount, int.Parse(orphans["dkms_mempool_orphans ".Length..], System.Globalization.CultureInfo.InvariantCulture));
        Assert.InRange(net.Node(0).Pool.OrphanCount, 1, PoolSize / 10);
        for (var n = 1; n < net.Count; n++)
        {
            var node = net.Node(n);
            Assert.DoesNotContain(flood, t => node.Pool.Contains(t.Hash));
        }
    }
}
