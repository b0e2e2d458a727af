using Dkms.Core.Crypto;
using Dkms.Core.Primitives;
using Dkms.Core.Transactions;
using Dkms.Ledger;
using Dkms.Storage;

namespace Dkms.Node.Tests.Rpc;

/// <summary>
/// Reads never wait for the consensus loop: a proof and a lookup are answered while a commit holds the ledger's commit
/// lock and the store's write is stuck (a slow disk). If a read took a lock the commit holds, it would wait here until
/// the write was released — the test releases it only after the reads answered.
/// </summary>
public sealed class ReadsDuringCommitTests
{
    private const string ChainId = "reads-during-commit";

    private static Ed25519Signer Key(string label) => Ed25519Signer.FromSeed(Hash32.Sha256(System.Text.Encoding.UTF8.GetBytes(label)).ToArray());

    private static (Transaction Tx, IdentityId Id) Inception(string name)
    {
        var payload = new InceptionPayload(new KeyConfig([Key(name + "/0").PublicKey], 1, [Key(name + "/1").PublicKey.Digest()], 1), [], null);
        var id = TransactionCodec.DeriveIdentity(payload);
        return (TransactionCodec.Sign(new TxBody(ChainId, id, 1, payload), [(Key(name + "/0"), null)]), id);
    }

    /// <summary>A memory store whose writes, once armed, wait until released.</summary>
    private sealed class StuckWrites : IKeyValueStore
    {
        private readonly MemoryStore _inner = new();

        public ManualResetEventSlim Entered { get; } = new();

        public ManualResetEventSlim Release { get; } = new();

        public bool Armed { get; set; }

        public byte[]? Get(ReadOnlySpan<byte> key) => _inner.Get(key);

        public IEnumerable<KeyValuePair<byte[], byte[]>> Scan(byte[] prefix) => _inner.Scan(prefix);

        public IEnumerable<KeyValuePair<byte[], byte[]>> ScanReverse(byte[] prefix) => _inner.ScanReverse(prefix);

        public IKeyValueSnapshot Snapshot() => _inner.Snapshot();

        public void Write(WriteBatch batch, bool sync)
        {
            if (Armed)
            {
                Entered.Set();
                Release.Wait();
            }

            _inner.Write(batch, sync);
        }

        public void Dispose() => _inner.Dispose();
    }

    [Fact]
    public async Task A_proof_and_a_lookup_are_answered_while_a_commit_is_stuck_writing()
    {
        using var store = new StuckWrites();
        var ledger = DkmsLedger.Open(store, new LedgerOptions(ChainId));
        ledger.InitializeGenesis([new ValidatorEntry(Key("validator").PublicKey, "127.0.0.1:1", 1)]);
        var (aliceTx, alice) = Inception("alice");
        ledger.Commit(ledger.Execute(1, 1_000, [aliceTx]));

        store.Armed = true;
        var (bobTx, _) = Inception("bob");
        var second = ledger.Execute(2, 2_000, [bobTx]);
        var commit = Task.Factory.StartNew(() => ledger.Commit(second), TaskCreationOptions.LongRunning);
        try
        {
            Assert.True(store.Entered.Wait(TimeSpan.FromSeconds(30)), "the commit never reached the store");

            // On another thread, so a read that waited for the commit shows as not finished rather than hanging the test.
            var reads = Task.Run(() => (ledger.ProveIdentity(alice, 1), ledger.GetIdentity(alice), ledger.Height));
            var finished = await Task.WhenAny(reads, Task.Delay(TimeSpan.FromSeconds(30))) == reads;
            Assert.True(finished, "a read waited for the commit in progress");
            var (proven, state, height) = await reads;
            Assert.Equal(1UL, height);
            Assert.NotNull(state);
            Assert.NotNull(proven);
            Assert.True(proven.Verify(ledger.GetHeight(1)!.StateRoot));
            Assert.False(commit.IsCompleted);
        }
        finally
        {
            store.Release.Set();
            await commit;
        }

        Assert.Equal(2UL, ledger.Height);
    }
}
