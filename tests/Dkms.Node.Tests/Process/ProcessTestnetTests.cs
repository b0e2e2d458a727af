using Dkms.Client;
using Dkms.Core.Primitives;
using Dkms.Node.Tests.Support;
using Dkms.Rpc;

namespace Dkms.Node.Tests.Process;

/// <summary>The built <c>dkms-node</c> binaries as separate processes over LiteNetLib on loopback.</summary>
public sealed class ProcessTestnetTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Transactions_submitted_to_one_node_are_committed_on_all_four_and_a_node_stopped_by_SIGTERM_resumes()
    {
        using var net = new ProcessTestnet(4);
        for (var i = 0; i < 4; i++) net.Start(i);
        var clients = net.RpcEndpoints.Select(u => new DkmsRpcClient(u)).ToArray();
        try
        {
            await WaitForPeersAsync(clients, 3, net);
            var builder = new TransactionBuilder(ProcessTestnet.ChainId);
            var results = new List<SubmitResult>();
            for (var k = 0; k < 5; k++) results.Add(await clients[0].SubmitAsync(new TestIdentity($"p{k}", builder).Incept(), SubmitModes.Commit, 30_000));

            var top = results.Max(r => r.Height!.Value);
            await WaitForHeightAsync(clients, top);
            var blocks = await Task.WhenAll(clients.Select(c => c.BlockAsync(top)));
            Assert.Single(blocks.Select(b => b.StateRoot).Distinct());
            foreach (var c in clients)
            {
                foreach (var r in results) Assert.Equal(TxStatuses.Committed, (await c.StatusAsync(Hash32.ParseHex(r.Hash))).Status);
            }

            // A clean stop exits 0 and the node resumes from its data with everything it had committed.
            Assert.Equal(0, net.Terminate(1, TimeSpan.FromSeconds(30)));
            Assert.Contains("Node stopped at height", net.Log(1), StringComparison.Ordinal);
            var more = await clients[0].SubmitAsync(new TestIdentity("while-down", builder).Incept(), SubmitModes.Commit, 30_000);
            net.Start(1);
            await WaitForHeightAsync([clients[1]], more.Height!.Value, () => net.Log(1));
            Assert.Equal(TxStatuses.Committed, (await clients[1].StatusAsync(Hash32.ParseHex(results[0].Hash))).Status);
            Assert.Equal((await clients[0].BlockAsync(more.Height.Value)).StateRoot, (await clients[1].BlockAsync(more.Height.Value)).StateRoot);
        }
        finally
        {
            foreach (var c in clients) c.Dispose();
        }
    }

    [Fact]
    public async Task A_node_killed_under_load_rejoins_and_catches_up_without_losing_a_committed_transaction()
    {
        using var net = new ProcessTestnet(4);
        for (var i = 0; i < 4; i++) net.Start(i);
        var clients = net.RpcEndpoints.Select(u => new DkmsRpcClient(u)).ToArray();
        try
        {
            await WaitForPeersAsync(clients, 3, net);
            var builder = new TransactionBuilder(ProcessTestnet.ChainId);
            var committed = new List<SubmitResult>();
            async Task SubmitRound(int round, int[] via)
            {
                var batch = Enumerable.Range(0, 20).Select(k => new TestIdentity($"r{round}-{k}", builder).Incept()).ToArray();
                var answers = await Task.WhenAll(batch.Select((tx, k) => clients[via[k % via.Length]].SubmitAsync(tx, SubmitModes.Commit, 30_000)));
                committed.AddRange(answers);
            }

            await SubmitRound(0, [0, 1, 2, 3]);
            var load = SubmitRound(1, [0, 1, 2]);
            net.Kill(3);
            await load;
            await SubmitRound(2, [0, 1, 2]);
            Assert.All(committed, r => Assert.Equal(TxStatuses.Committed, r.Status));

            net.Start(3);
            var top = committed.Max(r => r.Height!.Value);
            await WaitForHeightAsync([clients[3]], top, () => net.Log(3));
            foreach (var r in committed)
            {
                var status = await clients[3].StatusAsync(Hash32.ParseHex(r.Hash));
                Assert.Equal(TxStatuses.Committed, status.Status);
                Assert.Equal(r.Height, status.Height);
            }

            var roots = await Task.WhenAll(clients.Select(c => c.BlockAsync(top)));
            Assert.Single(roots.Select(b => b.StateRoot).Distinct());
        }
        finally
        {
            foreach (var c in clients) c.Dispose();
        }
    }

    [Fact]
    public async Task A_node_whose_key_is_not_in_the_genesis_cannot_join()
    {
        using var net = new ProcessTestnet(4, outsiders: 1);
        for (var i = 0; i < 5; i++) net.Start(i);
        var clients = net.RpcEndpoints.Select(u => new DkmsRpcClient(u)).ToArray();
        try
        {
            await WaitForPeersAsync(clients[..4], 3, net);
            var outsider = await WaitForStatusAsync(clients[4]);
            Assert.False(outsider.IsValidator);

            var r = await clients[0].SubmitAsync(new TestIdentity("after-outsider", new TransactionBuilder(ProcessTestnet.ChainId)).Incept(), SubmitModes.Commit, 30_000);
            Assert.Equal(TxStatuses.Committed, r.Status);

            foreach (var c in clients[..4]) Assert.DoesNotContain(outsider.NodeKey, (await c.NodeStatusAsync()).Peers);
            var after = await clients[4].NodeStatusAsync();
            Assert.Empty(after.Peers);
            Assert.Equal(0UL, after.Height);
            Assert.Contains("refused", net.Log(0) + net.Log(1) + net.Log(2) + net.Log(3), StringComparison.OrdinalIgnoreCase);
        }
        finally
        {
            foreach (var c in clients) c.Dispose();
        }
    }

    private static async Task<NodeStatusResult> WaitForStatusAsync(DkmsRpcClient client)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            try
            {
                return await client.NodeStatusAsync();
            }
            catch (RpcException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }

    private static string Tail(string? log) => log is null ? "" : string.Join('\n', log.Split('\n').TakeLast(40));

    internal static async Task WaitForPeersAsync(DkmsRpcClient[] clients, int peers, ProcessTestnet net)
    {
        var deadline = DateTime.UtcNow + Patience;
        for (var i = 0; i < clients.Length; i++)
        {
            while ((await WaitForStatusAsync(clients[i])).Peers.Length < peers)
            {
                // Every node's log: a peer that never connects is usually explained by the other side's log.
                Assert.True(DateTime.UtcNow < deadline, $"{clients[i].Endpoint} did not connect to {peers} peers; the nodes' logs end:\n"
                    + string.Join('\n', Enumerable.Range(0, clients.Length).Select(n => $"--- node{n}\n{Tail(net.Log(n))}")));
                await Task.Delay(100);
            }
        }
    }

    internal static async Task WaitForHeightAsync(DkmsRpcClient[] clients, ulong height, Func<string>? log = null)
    {
        var deadline = DateTime.UtcNow + Patience;
        foreach (var c in clients)
        {
            while ((await WaitForStatusAsync(c)).Height < height)
            {
                Assert.True(DateTime.UtcNow < deadline, $"{c.Endpoint} did not reach height {height}; its log ends:\n{Tail(log?.Invoke())}");
                await Task.Delay(100);
            }
        }
    }
}
