using System.Collections.Concurrent;
using Dkms.Client;
using Dkms.Core.Crypto;
using Dkms.Core.Encoding;
using Dkms.Core.Genesis;
using Dkms.Core.Primitives;
using Dkms.Node.Mempool;
using Dkms.Node.Networking;
using Dkms.Node.Rpc;
using Dkms.Node.Tests.Support;
using Dkms.Rpc;
using Dkms.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dkms.Node.Tests.Mempool;

/// <summary>
/// Issue 18 §1: admission has one writer. Seeded submitters hand transactions in over RPC sync, RPC async and gossip at
/// once, some more than once and by different paths, while blocks commit; and a flood of one source meets a bounded
/// queue instead of running on as many request threads as it opens.
/// </summary>
public sealed class AdmissionRaceTests
{
    private const string ChainId = "dkms-admission-race";

    private static (ValidatorNode Node, InMemoryPeerHub Hub) NewNode(MempoolOptions mempool)
    {
        var key = Ed25519Signer.FromSeed(Hash32.Sha256("admission-race-validator"u8).ToArray());
        var genesis = new GenesisDocument
        {
            ChainId = ChainId,
            Validators = [new GenesisValidator { Name = "v0", NodeKey = key.PublicKey.ToHex(), Address = "127.0.0.1:26800", Power = 1 }],
        };
        var settings = new NodeSettings { Storage = "memory", Mempool = mempool };
        var hub = new InMemoryPeerHub();
        return (new ValidatorNode(genesis, settings, key, new MemoryStore(), hub.Join(key.PublicKey), NullLoggerFactory.Instance, TimeProvider.System), hub);
    }

    [Theory]
    [InlineData(1801)]
    [InlineData(1802)]
    [InlineData(1803)]
    public async Task Concurrent_sync_async_and_gossip_submissions_while_blocks_commit_admit_each_transaction_once_and_lose_no_acknowledgement(int seed)
    {
        var (node, hub) = NewNode(new MempoolOptions());
        await using var _ = node;
        var relayer = Ed25519Signer.FromSeed(Hash32.Sha256("admission-race-relayer"u8).ToArray()).PublicKey;
        using var peer = hub.Join(relayer);
        peer.Start();
        var rpc = RpcWiring.For(node).Submit;

        // Every admission, with how many ran at once: one writer never overlaps itself.
        var added = new ConcurrentDictionary<Hash32, int>();
        var inside = 0;
        var mostAtOnce = 0;
        node.Pool.Added += txs =>
        {
            var now = Interlocked.Increment(ref inside);
            InterlockedMax(ref mostAtOnce, now);
            foreach (var tx in txs) added.AddOrUpdate(tx.Hash, 1, (_, n) => n + 1);
            Thread.Sleep(1); // widens the window in which a second writer would be seen
            Interlocked.Decrement(ref inside);
        };
        // After each commit (the pool updated by then) none of the block's transactions may still be pending.
        var staleAfterCommit = new ConcurrentBag<Hash32>();
        node.Application.BlockCommitted += (_, _, txs) =>
        {
            foreach (var tx in txs.Where(t => node.Pool.Contains(t.Hash))) staleAfterCommit.Add(tx.Hash);
        };
        node.Start();

        var builder = new TransactionBuilder(ChainId);
        var random = new Random(seed);
        // Per submitter: identities, each an inception and a rotation submitted in order, every transaction by a path
        // drawn from the seed and a third of them a second time by another path.
        var plans = Enumerable.Range(0, 6).Select(s => Enumerable.Range(0, 25).SelectMany(i =>
        {
            var person = new TestIdentity($"race/{seed}/{s}/{i}", builder);
            return new[] { person.Incept(), person.Rotate() };
        }).Select(tx => (Tx: tx, Paths: Paths(random))).ToArray()).ToArray();
        var acknowledged = new ConcurrentDictionary<Hash32, byte>();
        var answers = new ConcurrentBag<string>();

        await Task.WhenAll(plans.Select(plan => Task.Run(async () =>
        {
            foreach (var (tx, paths) in plan)
            {
                foreach (var path in paths)
                {
                    if (path == Path.Gossip)
                    {
                        peer.Send(node.NodeKey.PublicKey, NodeChannel.Mempool, Codec.Encode(new[] { tx.Encoded }));
                        continue;
                    }

                    var mode = path == Path.Sync ? SubmitModes.Sync : SubmitModes.Async;
                    var result = (await rpc.SubmitBatchAsync(new SubmitBatchParams([Convert.ToBase64String(tx.Encoded)], mode), CancellationToken.None))[0];
                    answers.Add($"{mode} {result.Status} {result.Code}");
                    if (result.Status is TxStatuses.Pending or TxStatuses.Committed) acknowledged.TryAdd(tx.Hash, 0);
                }
            }
        })));

        // Every transaction a client was told is pending must commit (all are valid); a hang guard, not a timing claim.
        var all = plans.SelectMany(p => p).Select(p => p.Tx).ToArray();
        using var guard = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        while (acknowledged.Keys.Any(h => node.Ledger.GetTransaction(h) is null) && !guard.IsCancellationRequested) await Task.Delay(20);

        Assert.All(acknowledged.Keys, h => Assert.NotNull(node.Ledger.GetTransaction(h)));
        Assert.NotEmpty(acknowledged);
        Assert.Empty(staleAfterCommit);
        Assert.All(all, tx => Assert.False(node.Ledger.GetTransaction(tx.Hash) is not null && node.Pool.Contains(tx.Hash)));
        Assert.All(added, kv => Assert.Equal(1, kv.Value));
        Assert.Equal(1, mostAtOnce);
        Assert.DoesNotContain(answers, a => a.Contains(TxStatuses.Rejected, StringComparison.Ordinal) && !a.Contains("Duplicate", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_flood_of_sync_submissions_meets_a_bounded_queue_and_the_rest_are_answered_mempool_full()
    {
        // The node is not started: nothing drains admission, as when its one writer is busy. The queue holds 1,000
        // transactions: two batches of 400 wait in it, the three after them are answered "mempool full" at once.
        var (node, _) = NewNode(new MempoolOptions { AdmissionQueueTransactions = 1_000 });
        await using var _n = node;
        var rpc = RpcWiring.For(node).Submit;
        var builder = new TransactionBuilder(ChainId);
        var batches = Enumerable.Range(0, 5).Select(b => Enumerable.Range(0, 400)
            .Select(i => Convert.ToBase64String(new TestIdentity($"flood/{b}/{i}", builder).Incept().Encoded)).ToArray()).ToArray();

        var submissions = batches.Select(b => rpc.SubmitBatchAsync(new SubmitBatchParams(b, SubmitModes.Sync), CancellationToken.None)).ToArray();
        var refused = submissions.Skip(2).ToArray();
        using var guard = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await Task.WhenAll(refused).WaitAsync(guard.Token);

        Assert.All(refused, r => Assert.All(r.Result, s => Assert.Equal(NodeRpc.MempoolFullCode, s.Code)));
        Assert.False(submissions[0].IsCompleted);
        Assert.False(submissions[1].IsCompleted);
        Assert.Equal(0, node.Pool.Count);
        Assert.Equal(800, node.Admission.Queued);

        node.Start();
        var admitted = await Task.WhenAll(submissions.Take(2)).WaitAsync(guard.Token);
        Assert.All(admitted.SelectMany(r => r), s => Assert.Contains(s.Status, new[] { TxStatuses.Pending, TxStatuses.Committed }));
    }

    private enum Path
    {
        Sync,
        Async,
        Gossip,
    }

    private static Path[] Paths(Random random)
    {
        var first = (Path)random.Next(3);
        if (random.Next(3) != 0) return [first];
        return [first, (Path)(((int)first + 1 + random.Next(2)) % 3)];
    }

    private static void InterlockedMax(ref int target, int value)
    {
        var seen = Volatile.Read(ref target);
        while (value > seen)
        {
            var was = Interlocked.CompareExchange(ref target, value, seen);
            if (was == seen) return;
            seen = was;
        }
    }
}
