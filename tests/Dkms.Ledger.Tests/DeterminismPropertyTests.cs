using Dkms.Core.Primitives;
using Dkms.Ledger.Tests.Support;
using Dkms.Storage;

namespace Dkms.Ledger.Tests;

/// <summary>
/// Random sequences of valid and invalid transactions give the same results and state roots on the
/// in-memory store and on RocksDB; reopening RocksDB gives the same root; proofs verify and tampered
/// ones do not.
/// </summary>
public class DeterminismPropertyTests
{
    public static TheoryData<int> Seeds() => [.. Enumerable.Range(1, 12)];

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Memory_and_RocksDB_ledgers_agree_on_every_result_and_root(int seed)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"dkms-prop-{seed}-{Guid.NewGuid():N}");
        try
        {
            var workload = new RandomWorkload(seed);
            using var memory = new LedgerHarness();
            var rocks = new LedgerHarness(RocksDbStore.Open(dir));
            var accepted = 0;
            var roots = new List<Hash32>();
            for (var b = 0; b < 40; b++)
            {
                var block = workload.NextBlock();
                var r1 = memory.Block(block);
                var r2 = rocks.Block(block);
                Assert.Equal(r1, r2);
                Assert.Equal(memory.Ledger.StateRoot, rocks.Ledger.StateRoot);
                workload.Observe(block, r1);
                accepted += r1.Count(r => r.IsOk);
                roots.Add(memory.Ledger.StateRoot);
            }

            // The workload is meant to exercise both paths; a generator that only fails proves nothing.
            Assert.InRange(accepted, 20, 319);

            foreach (var actor in workload.Actors)
            {
                var proven = rocks.Ledger.ProveIdentity(actor.Id)!;
                Assert.True(proven.Verify(rocks.Ledger.StateRoot));
                if (proven.Value is { Length: > 0 } value)
                {
                    var tampered = (byte[])value.Clone();
                    tampered[value.Length / 2] ^= 0x10;
                    Assert.False((proven with { Value = tampered }).Verify(rocks.Ledger.StateRoot));
                }
            }

            var height = rocks.Ledger.Height;
            var root = rocks.Ledger.StateRoot;
            rocks.Dispose();
            using var reopened = new LedgerHarness(RocksDbStore.Open(dir));
            Assert.Equal(height, reopened.Ledger.Height);
            Assert.Equal(root, reopened.Ledger.StateRoot);
            for (var h = 1UL; h <= height; h++) Assert.Equal(roots[(int)h - 1], reopened.Ledger.GetHeight(h)!.StateRoot);
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Reopening_a_store_whose_state_was_altered_fails_loudly()
    {
        var store = new MemoryStore();
        using (var h = new LedgerHarness(store))
        {
            h.Create(new Actor("alice"));
        }

        var key = store.Scan(Dkms.Ledger.State.StateKeys.Authenticated).First().Key;
        store.Write(new WriteBatch().Put(key, [1, 2, 3]), sync: true);
        Assert.Throws<StorageCorruptionException>(() => DkmsLedger.Open(store, new LedgerOptions(LedgerHarness.Chain)));
    }
}
