using Dkms.Client;
using Dkms.Consensus;
using Dkms.Core.Crypto;
using Dkms.Core.Encoding;
using Dkms.Core.Genesis;
using Dkms.Core.Primitives;
using Dkms.Node.Networking;
using Dkms.Node.Tests.Support;
using Dkms.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dkms.Node.Tests.Consensus;

/// <summary>
/// Issue 17 item 2: the ledger and the validator's consensus record never disagree. The record moves to the next
/// height in the block's own commit batch, and a node whose record is missing or older than its ledger refuses to
/// start — it would not know what it signed, and could sign twice.
/// </summary>
public sealed class ConsensusRecordCheckTests
{
    private const string ChainId = "dkms-record-check-tests";
    private static readonly byte[] RecordKey = "x/consensus-record"u8.ToArray();

    private static ValidatorNode NewNode(IKeyValueStore store)
    {
        var key = Ed25519Signer.FromSeed(Hash32.Sha256("record-check-validator"u8).ToArray());
        var genesis = new GenesisDocument
        {
            ChainId = ChainId,
            Validators = [new GenesisValidator { Name = "v0", NodeKey = key.PublicKey.ToHex(), Address = "127.0.0.1:26800", Power = 1 }],
        };
        return new ValidatorNode(genesis, new NodeSettings { Storage = "memory" }, key, store, new InMemoryPeerHub().Join(key.PublicKey),
            NullLoggerFactory.Instance, TimeProvider.System);
    }

    /// <summary>Commits one transaction per name, each in its own block; returns the record as it was after each.</summary>
    private static async Task<List<byte[]>> CommitAsync(MemoryStore store, params string[] names)
    {
        var records = new List<byte[]>();
        await using var node = NewNode(store);
        node.Start();
        foreach (var name in names)
        {
            var tx = new TestIdentity(name, new TransactionBuilder(ChainId)).Incept();
            node.Admit([tx]);
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (node.Ledger.GetTransaction(tx.Hash) is null && DateTime.UtcNow < deadline) await Task.Delay(10);
            Assert.NotNull(node.Ledger.GetTransaction(tx.Hash));
            records.Add(store.Get(RecordKey)!);
        }

        return records;
    }

    private static ulong RecordHeight(byte[] record) => Codec.Decode<PersistedRecord>(record).Height;

    private static ulong LedgerHeight(MemoryStore store)
    {
        var node = NewNode(store);
        var height = node.Ledger.Height;
        node.DisposeAsync().AsTask().GetAwaiter().GetResult();
        return height;
    }

    [Fact]
    public async Task The_record_names_the_next_height_once_a_block_is_committed()
    {
        var store = new MemoryStore();
        await CommitAsync(store, "a", "b");

        // Nothing has been signed at the next height (no transactions wait): only the commit batch can have moved it.
        var record = store.Get(RecordKey);
        Assert.NotNull(record);
        Assert.Equal(LedgerHeight(store) + 1, RecordHeight(record));
    }

    [Fact]
    public async Task A_node_with_an_intact_record_restarts_at_its_height()
    {
        var store = new MemoryStore();
        await CommitAsync(store, "a", "b");
        var height = LedgerHeight(store);

        await using var node = NewNode(store);
        node.Start();
        Assert.Equal(height, node.Ledger.Height);
        var tx = new TestIdentity("after-restart", new TransactionBuilder(ChainId)).Incept();
        node.Admit([tx]);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (node.Ledger.GetTransaction(tx.Hash) is null && DateTime.UtcNow < deadline) await Task.Delay(10);
        Assert.NotNull(node.Ledger.GetTransaction(tx.Hash));
    }

    [Fact]
    public async Task A_missing_record_on_a_ledger_with_blocks_is_refused()
    {
        var store = new MemoryStore();
        await CommitAsync(store, "a", "b");
        store.Write(new WriteBatch().Delete(RecordKey), sync: true);

        var e = Assert.Throws<StorageCorruptionException>(() => NewNode(store));
        Assert.Contains("consensus record", e.Message, StringComparison.Ordinal);
        Assert.Contains("missing", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_record_on_a_chain_with_only_its_genesis_is_refused()
    {
        var store = new MemoryStore();
        await NewNode(store).DisposeAsync();
        Assert.Equal(0UL, LedgerHeight(store));
        store.Write(new WriteBatch().Delete(RecordKey), sync: true);

        Assert.Throws<StorageCorruptionException>(() => NewNode(store));
    }

    [Fact]
    public async Task A_record_older_than_the_ledger_is_refused()
    {
        var store = new MemoryStore();
        var records = await CommitAsync(store, "a", "b", "c");
        Assert.True(RecordHeight(records[0]) <= LedgerHeight(store));
        // The record as it was after the first block: what a rolled-back record would hold.
        store.Write(new WriteBatch().Put(RecordKey, records[0]), sync: true);

        var e = Assert.Throws<StorageCorruptionException>(() => NewNode(store));
        Assert.Contains("older", e.Message, StringComparison.Ordinal);
    }
}
