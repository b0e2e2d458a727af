using Dkms.Client;
using Dkms.Core.Transactions;
using Dkms.Node.Testing;
using Dkms.Node.Tests.Support;
using Dkms.Rpc;

namespace Dkms.Node.Tests.Durability;

/// <summary>
/// An acknowledged transaction (async "pending", or a sync acceptance) survives a restart of every node: in-process
/// nodes on RocksDB, stopped while the chain has no quorum, so what they acknowledged is still pending when they stop.
/// </summary>
public sealed class AcknowledgedRestartTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Transactions_acknowledged_async_and_sync_commit_after_every_node_restarted()
    {
        // Two of four validators run: no quorum, nothing commits, every acknowledged transaction stays pending. They
        // propose no transactions either: a proposal kept in the consensus record would bring them back by itself.
        var proposing = false;
        await using var net = await InProcessTestnet.StartAsync(4, running: 2, settings: (_, s) => proposing ? s : NoProposals(s));
        var builder = new TransactionBuilder(InProcessTestnet.ChainId);
        var identities = Enumerable.Range(0, 6).Select(i => new TestIdentity($"durable/{i}", builder)).ToArray();
        // Chains of sequences: each identity's inception, then two more of its transactions.
        var asyncTxs = identities[..3].SelectMany(id => new[] { id.Incept(), Ack(id, "a"), Ack(id, "b") }).ToList();
        var syncTxs = identities[3..].SelectMany(id => new[] { id.Incept(), Ack(id, "a"), Ack(id, "b") }).ToList();

        using (var c0 = new DkmsRpcClient(net.RpcEndpoints[0]))
        using (var c1 = new DkmsRpcClient(net.RpcEndpoints[1]))
        {
            var asyncAnswers = await c0.SubmitBatchAsync(asyncTxs.Select(t => t.Encoded), SubmitModes.Async);
            Assert.All(asyncAnswers, a => Assert.Equal(TxStatuses.Pending, a.Status));
            foreach (var tx in syncTxs) Assert.Equal(TxStatuses.Pending, (await c1.SubmitAsync(tx, SubmitModes.Sync)).Status);
        }

        await net.StopNodeAsync(0);
        await net.StopNodeAsync(1);
        proposing = true;
        for (var i = 0; i < 4; i++) await net.StartNodeAsync(i);

        using var client = new DkmsRpcClient(net.RpcEndpoints[2]);
        var all = asyncTxs.Concat(syncTxs).ToList();
        var statuses = await WaitUntilSettledAsync(client, all);
        Assert.All(statuses, s => Assert.Equal(TxStatuses.Committed, s.Status));
    }

    [Fact]
    public async Task An_acknowledged_transaction_refused_after_replay_keeps_its_code_across_a_further_restart()
    {
        var proposing = true;
        await using var net = await InProcessTestnet.StartAsync(4, settings: (_, s) => proposing ? s : NoProposals(s));
        var builder = new TransactionBuilder(InProcessTestnet.ChainId);
        var x = new TestIdentity("refused-after-replay", builder);
        using (var c = new DkmsRpcClient(net.RpcEndpoints[0]))
        {
            Assert.Equal(TxStatuses.Committed, (await c.SubmitAsync(x.Incept(), SubmitModes.Commit, 30_000)).Status);
        }

        // Node 0 alone acknowledges a transaction at sequence 2; the chain cannot commit it (no quorum), and node 0 does
        // not put it in a proposal (which its consensus record would keep).
        for (var i = 0; i < 4; i++) await net.StopNodeAsync(i);
        proposing = false;
        await net.StartNodeAsync(0);
        var acknowledged = Ack(x, "mine");
        using (var c = new DkmsRpcClient(net.RpcEndpoints[0]))
        {
            Assert.Equal(TxStatuses.Pending, (await c.SubmitBatchAsync([acknowledged.Encoded], SubmitModes.Async))[0].Status);
        }

        // While node 0 is down the others commit another transaction at sequence 2.
        await net.StopNodeAsync(0);
        proposing = true;
        for (var i = 1; i < 4; i++) await net.StartNodeAsync(i);
        var rival = builder.AddKeyAgreementKey(x.Id, 2, new KeyAgreementKeyEntry("rival", x.KeyAt(7).PublicKey, "encryption"), [x.KeyAt(0)]);
        using (var c = new DkmsRpcClient(net.RpcEndpoints[1]))
        {
            Assert.Equal(TxStatuses.Committed, (await c.SubmitAsync(rival, SubmitModes.Commit, 30_000)).Status);
        }

        // Node 0 replays its acknowledged transaction, which is refused now; after another restart (nothing in memory)
        // it still answers the refusal with its code.
        await net.StartNodeAsync(0);
        using (var c = new DkmsRpcClient(net.RpcEndpoints[0]))
        {
            Assert.Equal(TxStatuses.Rejected, (await WaitUntilSettledAsync(c, [acknowledged]))[0].Status);
        }

        await net.StopNodeAsync(0);
        await net.StartNodeAsync(0);
        using (var c = new DkmsRpcClient(net.RpcEndpoints[0]))
        {
            var status = await c.StatusAsync(acknowledged.Hash);
            Assert.Equal(TxStatuses.Rejected, status.Status);
            Assert.Equal(nameof(ErrorCode.BadSequence), status.Code);
        }
    }

    private static NodeSettings NoProposals(NodeSettings s) => s with { Consensus = s.Consensus with { MaxBlockTransactions = 0 } };

    /// <summary>A transaction of <paramref name="id"/> at its next sequence (a key-agreement key named <paramref name="name"/>).</summary>
    internal static Transaction Ack(TestIdentity id, string name) =>
        id.AddKeyAgreementKey(name, id.KeyAt(100 + (int)id.Sequence).PublicKey);

    /// <summary>Waits until none of <paramref name="txs"/> is pending or unknown on the node, or the patience runs out;
    /// returns the last statuses.</summary>
    internal static async Task<TxStatusResult[]> WaitUntilSettledAsync(DkmsRpcClient client, IReadOnlyList<Transaction> txs)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            var statuses = await Task.WhenAll(txs.Select(t => client.StatusAsync(t.Hash)));
            if (statuses.All(s => s.Status is TxStatuses.Committed or TxStatuses.Rejected) || DateTime.UtcNow > deadline) return statuses;
            await Task.Delay(100);
        }
    }
}
