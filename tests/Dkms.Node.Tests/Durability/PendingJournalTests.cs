using Dkms.Client;
using Dkms.Core.Crypto;
using Dkms.Core.Genesis;
using Dkms.Core.Primitives;
using Dkms.Core.Transactions;
using Dkms.Node.Mempool;
using Dkms.Node.Networking;
using Dkms.Node.Tests.Support;
using Dkms.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dkms.Node.Tests.Durability;

public sealed class PendingJournalTests
{
    private const string ChainId = "dkms-journal-tests";
    private static readonly TransactionBuilder Builder = new(ChainId);

    private static Transaction[] Txs(string prefix, int n) =>
        [.. Enumerable.Range(0, n).Select(i => new TestIdentity($"{prefix}/{i}", Builder).Incept())];

    private static PendingJournal Open(IKeyValueStore store, int capacity = 1_000, int rejections = 1_000) =>
        new(store, capacity, rejections, NullLogger.Instance);

    [Fact]
    public async Task An_append_is_acknowledged_only_once_written_synced_and_appends_made_meanwhile_share_one_write()
    {
        var store = new GatedStore(new MemoryStore());
        using var journal = Open(store);
        var txs = Txs("group", 51);
        store.Close();
        var first = journal.Append(txs[0])!;
        await store.EnteredAsync(); // the writer holds the first append at the gate
        var rest = txs[1..].Select(t => journal.Append(t)!).ToArray();

        Assert.False(first.IsCompleted);
        Assert.All(rest, t => Assert.False(t.IsCompleted));
        store.Open();
        await Task.WhenAll(rest.Append(first));

        Assert.Equal([(1, true), (50, true)], store.Writes);
    }

    [Fact]
    public async Task With_a_sync_spacing_no_synced_write_starts_sooner_than_the_spacing_after_the_last_one_ended()
    {
        var spacing = TimeSpan.FromMilliseconds(30);
        var store = new GatedStore(new MemoryStore());
        using var journal = new PendingJournal(store, 1_000, 1_000, NullLogger.Instance, spacing);
        var txs = Txs("spaced", 40);
        // Appends one after another, each waiting for its acknowledgement, then a burst: all are acknowledged.
        foreach (var tx in txs[..5]) await journal.Append(tx)!;
        await Task.WhenAll(txs[5..].Select(t => journal.Append(t)!));

        var synced = store.Writes.Zip(store.Times, (w, t) => (w.Count, w.Sync, t.Start, t.End)).Where(w => w.Sync).ToArray();
        Assert.Equal(txs.Length, synced.Sum(w => w.Count));
        for (var i = 1; i < synced.Length; i++)
        {
            Assert.True(synced[i].Start - synced[i - 1].End >= spacing,
                $"synced write {i} started {(synced[i].Start - synced[i - 1].End).TotalMilliseconds} ms after the previous one ended");
        }
    }

    [Fact]
    public async Task A_reopened_journal_gives_back_the_pending_ones_in_arrival_order_and_keeps_refusals()
    {
        var store = new GatedStore(new MemoryStore());
        var txs = Txs("reopen", 5);
        using (var journal = Open(store))
        {
            await Task.WhenAll(txs.Select(t => journal.Append(t)!));
            journal.Committed([txs[1]]);
            journal.Rejected(txs[3], TxResult.Fail(ErrorCode.BadSequence, "stale"), mempoolFull: false);
            await journal.FlushAsync();
        }

        using var reopened = Open(store);
        Assert.Equal([txs[0].EnvelopeHash, txs[2].EnvelopeHash, txs[4].EnvelopeHash], reopened.Recovered.Select(t => t.EnvelopeHash));
        Assert.True(reopened.TryGetRejection(txs[3].Hash, out var why, out var full));
        Assert.Equal(ErrorCode.BadSequence, why.Code);
        Assert.False(full);
        Assert.False(reopened.TryGetRejection(txs[1].Hash, out _, out _));
        Assert.Equal(0, reopened.Damaged);
    }

    [Fact]
    public async Task Damaged_entries_are_counted_deleted_and_the_node_starts_with_the_rest()
    {
        var store = new GatedStore(new MemoryStore());
        var txs = Txs("damaged", 2);
        using (var journal = Open(store))
        {
            await Task.WhenAll(txs.Select(t => journal.Append(t)!));
        }

        // A flipped byte in a stored transaction, a key of the wrong length, a refusal record that does not decode.
        var key = store.Inner.Scan("pending/"u8.ToArray()).First().Key;
        var value = store.Inner.Get(key)!;
        value[value.Length / 2] ^= 0xFF;
        store.Inner.Write(new WriteBatch().Put(key, value).Put("pending/xyz"u8.ToArray(), txs[0].Encoded)
            .Put([.. "rejected/"u8, 0, 0, 0, 0, 0, 0, 0, 9], [1, 2, 3]), sync: true);

        await using var node = NewNode(store);
        Assert.Equal(3, node.Metrics.PendingJournalDamaged.Value);
        Assert.Equal([txs[1].EnvelopeHash], node.Journal.Recovered.Select(t => t.EnvelopeHash));
        // Deleted: the next start finds nothing damaged.
        Assert.Empty(store.Inner.Scan("rejected/"u8.ToArray()));
        Assert.Single(store.Inner.Scan("pending/"u8.ToArray()));
    }

    [Fact]
    public async Task The_journal_holds_at_most_its_bound_and_a_node_with_a_full_journal_acknowledges_nothing()
    {
        using (var journal = Open(new MemoryStore(), capacity: 3))
        {
            var txs = Txs("bound", 4);
            Assert.All(txs[..3], t => Assert.NotNull(journal.Append(t)));
            Assert.Null(journal.Append(txs[3]));
            Assert.True(journal.IsFull);
            journal.Committed([txs[0]]);
            Assert.NotNull(journal.Append(txs[3]));
        }

        // Bound of the node's journal: pool (2) plus admission queue (2).
        await using var node = NewNode(new MemoryStore(), pool: 2, queue: 2);
        foreach (var tx in Txs("filler", 3)) Assert.NotNull(node.Journal.Append(tx));
        var queued = node.AdmitLater(Txs("late", 2), out _);
        Assert.Equal([true, false], queued);
        Assert.True(node.AdmissionQueueIsFull);
        Assert.Equal(4, node.Journal.Count);
    }

    [Fact]
    public async Task Refusal_records_are_bounded_oldest_trimmed_first()
    {
        var store = new GatedStore(new MemoryStore());
        var txs = Txs("refusals", 3);
        using (var journal = Open(store, rejections: 2))
        {
            foreach (var tx in txs)
            {
                await journal.Append(tx)!;
                journal.Rejected(tx, TxResult.Fail(ErrorCode.BadSequence, "stale"), mempoolFull: false);
            }

            await journal.FlushAsync();
            Assert.False(journal.TryGetRejection(txs[0].Hash, out _, out _));
            Assert.True(journal.TryGetRejection(txs[2].Hash, out _, out _));
        }

        Assert.Equal(2, store.Inner.Scan("rejected/"u8.ToArray()).Count());
        Assert.Empty(store.Inner.Scan("pending/"u8.ToArray()));
    }

    [Fact]
    public async Task A_failed_write_acknowledges_nothing_then_or_later()
    {
        var store = new GatedStore(new MemoryStore()) { FailWrites = true };
        using var journal = Open(store);
        var txs = Txs("failing", 2);
        await Assert.ThrowsAsync<StorageException>(() => journal.Append(txs[0])!);
        await Assert.ThrowsAsync<StorageException>(() => journal.Append(txs[1])!);
    }

    private static ValidatorNode NewNode(IKeyValueStore journal, int pool = 1_000, int queue = 1_000)
    {
        var key = Ed25519Signer.FromSeed(Hash32.Sha256("journal-tests-validator"u8).ToArray());
        var genesis = new GenesisDocument
        {
            ChainId = ChainId,
            Validators = [new GenesisValidator { Name = "v0", NodeKey = key.PublicKey.ToHex(), Address = "127.0.0.1:26800", Power = 1 }],
        };
        var settings = new NodeSettings { Storage = "memory", Mempool = new MempoolOptions { MaxTransactions = pool, AdmissionQueueTransactions = queue } };
        return new ValidatorNode(genesis, settings, key, new MemoryStore(), new InMemoryPeerHub().Join(key.PublicKey),
            NullLoggerFactory.Instance, TimeProvider.System, journal);
    }
}
