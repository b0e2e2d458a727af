using Dkms.Client;
using Dkms.Core.Crypto;
using Dkms.Core.Genesis;
using Dkms.Core.Primitives;
using Dkms.Node.Mempool;
using Dkms.Node.Networking;
using Dkms.Node.Tests.Support;
using Dkms.Rpc;
using Dkms.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dkms.Node.Tests;

/// <summary>Background admission (submit mode <c>async</c>): the queue in front of the mempool.</summary>
public sealed class ValidatorNodeAdmissionTests
{
    private const string ChainId = "dkms-admission-tests";

    private static ValidatorNode NewNode(int queueCapacity, int poolCapacity = 100_000)
    {
        var key = Ed25519Signer.FromSeed(Hash32.Sha256("admission-tests-validator"u8).ToArray());
        var genesis = new GenesisDocument
        {
            ChainId = ChainId,
            Validators = [new GenesisValidator { Name = "v0", NodeKey = key.PublicKey.ToHex(), Address = "127.0.0.1:26800", Power = 1 }],
        };
        var settings = new NodeSettings { Storage = "memory", Mempool = new MempoolOptions { AdmissionQueueTransactions = queueCapacity, MaxTransactions = poolCapacity } };
        return new ValidatorNode(genesis, settings, key, new MemoryStore(), new InMemoryPeerHub().Join(key.PublicKey),
            NullLoggerFactory.Instance, TimeProvider.System);
    }

    [Fact]
    public async Task A_full_admission_queue_refuses_a_transaction_instead_of_dropping_it()
    {
        // Not started: nothing drains the queue, so the third transaction finds it full.
        await using var node = NewNode(queueCapacity: 2);
        var builder = new TransactionBuilder(ChainId);
        var txs = Enumerable.Range(0, 3).Select(i => new TestIdentity($"queued/{i}", builder).Incept()).ToArray();

        var queued = node.AdmitLater(txs);

        Assert.Equal([true, true, false], queued);
        Assert.True(node.IsPending(txs[0].Hash));
        Assert.True(node.IsPending(txs[1].Hash));
        Assert.False(node.IsPending(txs[2].Hash));
    }

    [Fact]
    public async Task Queued_transactions_are_admitted_into_the_mempool_once_the_node_runs()
    {
        await using var node = NewNode(queueCapacity: 10);
        var builder = new TransactionBuilder(ChainId);
        var txs = Enumerable.Range(0, 3).Select(i => new TestIdentity($"queued/{i}", builder).Incept()).ToArray();
        Assert.All(node.AdmitLater(txs), Assert.True);

        node.Start();

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (txs.Any(t => !node.Pool.Contains(t.Hash) && node.Ledger.GetTransaction(t.Hash) is null) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        Assert.All(txs, t => Assert.True(node.Pool.Contains(t.Hash) || node.Ledger.GetTransaction(t.Hash) is not null));
    }

    [Fact]
    public async Task A_queued_transaction_waits_for_room_in_a_full_mempool_instead_of_being_refused()
    {
        // The pool holds two; the queue holds five. All five are committed, none is refused as "mempool full".
        await using var node = NewNode(queueCapacity: 10, poolCapacity: 2);
        var builder = new TransactionBuilder(ChainId);
        var txs = Enumerable.Range(0, 5).Select(i => new TestIdentity($"waiting/{i}", builder).Incept()).ToArray();
        Assert.All(node.AdmitLater(txs), Assert.True);

        node.Start();

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (txs.Any(t => node.Ledger.GetTransaction(t.Hash) is null) && DateTime.UtcNow < deadline) await Task.Delay(10);

        Assert.All(txs, t => Assert.NotNull(node.Ledger.GetTransaction(t.Hash)));
        Assert.All(txs, t => Assert.False(node.Pool.TryGetRejection(t.Hash, out _)));
    }

    [Fact]
    public async Task A_batch_meeting_a_full_queue_is_refused_item_by_item_with_each_hash()
    {
        // Not started: nothing drains the queue.
        await using var node = NewNode(queueCapacity: 1);
        var builder = new TransactionBuilder(ChainId);
        var txs = Enumerable.Range(0, 3).Select(i => new TestIdentity($"refused/{i}", builder).Incept()).ToArray();
        Assert.Equal([true], node.AdmitLater([txs[0]]));
        Assert.True(node.AdmissionQueueIsFull);
        var rpc = RpcWiring.For(node).Submit;

        var results = await rpc.SubmitBatchAsync(
            new SubmitBatchParams([Convert.ToBase64String(txs[1].Encoded), "not base64!", Convert.ToBase64String(txs[2].Encoded)], SubmitModes.Async),
            CancellationToken.None);

        Assert.Equal([txs[1].Hash.ToHex(), "", txs[2].Hash.ToHex()], results.Select(r => r.Hash));
        Assert.All(results, r => Assert.Equal(TxStatuses.Rejected, r.Status));
        Assert.Equal([Dkms.Node.Rpc.NodeRpc.MempoolFullCode, "Malformed", Dkms.Node.Rpc.NodeRpc.MempoolFullCode], results.Select(r => r.Code));
        Assert.False(node.IsPending(txs[1].Hash));
    }
}
