using Dkms.Core.Crypto;
using Dkms.Core.Primitives;
using Dkms.Core.Transactions;
using Dkms.Ledger.State;
using Dkms.Ledger.Tests.Support;
using Dkms.Storage;

namespace Dkms.Ledger.Tests;

/// <summary>Queries that read several keys read them from one snapshot (issue 18 §5): a commit landing between two of
/// their reads must not show in one and not the other.</summary>
public class OneSnapshotQueryTests
{
    private static readonly Ed25519Signer[] Nodes = [.. Enumerable.Range(0, 5).Select(i => Ed25519Signer.FromSeed(Hash32.Sha256([(byte)i]).ToArray()))];

    private static ValidatorEntry[] Set(int count) => [.. Nodes.Take(count).Select((n, i) => new ValidatorEntry(n.PublicKey, $"127.0.0.1:{7000 + i}", 1))];

    private static Transaction Change(ulong sequence, ValidatorEntry[] set) =>
        TransactionCodec.Sign(new TxBody(LedgerHarness.Chain, Governance.Subject, sequence, new SetValidatorsPayload(set)),
            Nodes.Take(3).Select(s => ((ISigner)s, (IdentityId?)null)));

    [Fact]
    public void The_validator_set_and_its_sequence_come_from_the_same_commit_when_a_change_commits_between_their_reads()
    {
        var store = new InterleavingStore(new MemoryStore());
        using var h = new LedgerHarness(store, validators: Set(4));
        // Two empty blocks: the set of the next height is the genesis set (sequence 0).
        h.Block();
        h.Block();

        // The moment the query reads the validator-set state, a change to five validators (sequence 1) commits.
        store.BeforeRead(StateKeys.Validators, () => h.Accept(Change(1, Set(5))));
        var answer = h.Ledger.CommittedValidators()!;

        // Whatever height the answer is of, its set and sequence must be that height's: the genesis set with sequence 0
        // (before the change), or (after it) sequence 1 with the set then in force at the next height. A change built on
        // four validators with sequence 1 + 1 would undo the committed change without anyone voting to.
        var sequenceAtAnswer = answer.Height >= 3 ? 1UL : 0UL;
        Assert.Equal(sequenceAtAnswer, answer.Sequence);
        Assert.Equal(answer.Height + 1, answer.At);
        Assert.Equal(4, answer.Set.Length); // the change takes effect two heights after its commit
    }

    /// <summary>A store that runs an action once, just before the first read of a key (directly or through a snapshot).</summary>
    private sealed class InterleavingStore(IKeyValueStore inner) : IKeyValueStore
    {
        private byte[]? _key;
        private Action? _action;

        public void BeforeRead(byte[] key, Action action) => (_key, _action) = (key, action);

        public byte[]? Get(ReadOnlySpan<byte> key)
        {
            Fire(key);
            return inner.Get(key);
        }

        public IEnumerable<KeyValuePair<byte[], byte[]>> Scan(byte[] prefix) => inner.Scan(prefix);

        public IEnumerable<KeyValuePair<byte[], byte[]>> ScanReverse(byte[] prefix) => inner.ScanReverse(prefix);

        public IKeyValueSnapshot Snapshot() => new Snap(this, inner.Snapshot());

        public void Write(WriteBatch batch, bool sync) => inner.Write(batch, sync);

        public void Dispose() => inner.Dispose();

        private void Fire(ReadOnlySpan<byte> key)
        {
            if (_action is null || !key.SequenceEqual(_key)) return;
            var action = _action;
            _action = null;
            action();
        }

        private sealed class Snap(InterleavingStore store, IKeyValueSnapshot inner) : IKeyValueSnapshot
        {
            public byte[]? Get(ReadOnlySpan<byte> key)
            {
                store.Fire(key);
                return inner.Get(key);
            }

            public IEnumerable<KeyValuePair<byte[], byte[]>> Scan(byte[] prefix) => inner.Scan(prefix);

            public IEnumerable<KeyValuePair<byte[], byte[]>> ScanReverse(byte[] prefix) => inner.ScanReverse(prefix);

            public void Dispose() => inner.Dispose();
        }
    }
}

public class StoreLayoutRegistryTests
{
    [Fact]
    public void Every_key_a_ledger_writes_lies_in_a_derived_region_of_the_registry()
    {
        var store = new MemoryStore();
        using var h = new LedgerHarness(store);
        var alice = h.Create(new Actor("alice"));
        for (var i = 0; i < 20; i++) h.Block(); // history past a checkpoint interval is not needed for the prefixes
        Assert.NotNull(h.Ledger.GetIdentity(alice.Id));
        foreach (var (key, _) in store.Scan([]))
        {
            var region = StoreLayout.RegionOf(key);
            Assert.True(region is { Kind: StoreLayout.Kind.Derived }, $"key {Convert.ToHexStringLower(key)} is in {region?.Name ?? "no region"}");
        }
    }
}
