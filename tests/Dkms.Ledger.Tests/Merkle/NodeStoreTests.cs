using Dkms.Core.Primitives;
using Dkms.Ledger.Merkle;

namespace Dkms.Ledger.Tests.Merkle;

public class NodeStoreTests
{
    private static Hash32 H(int i) => Hash32.Sha256(BitConverter.GetBytes(i));

    [Fact]
    public void Nodes_read_back_as_written_across_chunk_boundaries()
    {
        // Chunks hold 256, 512, 1024, … nodes: 5,000 leaves and inner nodes span several of them.
        var store = new NodeStore();
        var leaves = Enumerable.Range(0, 5_000).Select(i => store.AddLeaf(H(i), H(-i))).ToArray();
        var inners = Enumerable.Range(0, 4_999).Select(i => store.AddInner(leaves[i], leaves[i + 1])).ToArray();

        for (var i = 0; i < leaves.Length; i++)
        {
            Assert.True(leaves[i].IsLeaf);
            Assert.Equal(H(i), store.Leaf(leaves[i]).KeyHash);
            Assert.Equal(Hashing.Leaf(H(i), H(-i)), store.HashOf(leaves[i]));
        }

        for (var i = 0; i < inners.Length; i++)
        {
            Assert.True(inners[i].IsInner);
            Assert.Equal(leaves[i], store.Inner(inners[i]).Left);
            Assert.Equal(Hashing.Inner(Hashing.Leaf(H(i), H(-i)), Hashing.Leaf(H(i + 1), H(-i - 1))), store.HashOf(inners[i]));
        }

        Assert.Equal(9_999, store.Allocated);
        Assert.Equal(Hash32.Zero, store.HashOf(NodeRef.Empty));
    }

    [Fact]
    public void Two_threads_appending_at_once_each_get_their_own_nodes()
    {
        var store = new NodeStore();
        var written = new NodeRef[2][];
        Parallel.For(0, 2, side =>
            written[side] = [.. Enumerable.Range(0, 20_000).Select(i => store.AddLeaf(H(side * 100_000 + i), H(i)))]);

        Assert.Equal(40_000, written.SelectMany(w => w).Distinct().Count());
        for (var side = 0; side < 2; side++)
        {
            for (var i = 0; i < 20_000; i++) Assert.Equal(H(side * 100_000 + i), store.Leaf(written[side][i]).KeyHash);
        }
    }
}

public class ChunkedTableTests
{
    [Fact]
    public void Entries_read_back_as_written_through_the_doubling_chunks_and_the_fixed_size_ones_after()
    {
        // 256 + 512 + … + 65,536 = 130,816 entries in the doubling chunks, then chunks of 65,536.
        var table = new ChunkedTable<long>();
        for (var i = 0; i < 400_000; i++) Assert.Equal(i, table.Add(i * 7L));

        Assert.Equal(400_000, table.Count);
        foreach (var i in new[] { 0, 255, 256, 767, 768, 130_815, 130_816, 130_817, 196_351, 196_352, 399_999 }) Assert.Equal(i * 7L, table[i]);
        for (var i = 0; i < 400_000; i++) Assert.Equal(i * 7L, table[i]);
    }

    [Fact]
    public void Two_threads_appending_past_many_chunk_boundaries_lose_nothing()
    {
        var table = new ChunkedTable<long>();
        var indexes = new int[2][];
        Parallel.For(0, 2, side => indexes[side] = [.. Enumerable.Range(0, 150_000).Select(i => table.Add(side * 1_000_000L + i))]);

        Assert.Equal(300_000, table.Count);
        Assert.Equal(300_000, indexes.SelectMany(x => x).Distinct().Count());
        for (var side = 0; side < 2; side++)
        {
            for (var i = 0; i < 150_000; i++) Assert.Equal(side * 1_000_000L + i, table[indexes[side][i]]);
        }
    }
}

public class SparseMerkleTreeCompactionTests
{
    private static Hash32 H(int i) => Hash32.Sha256(BitConverter.GetBytes(i));

    private static (Hash32 Key, Hash32 Value)[] Contents(SparseMerkleTree tree, int keys) =>
        [.. Enumerable.Range(0, keys).Select(H).Where(k => tree.TryGetValueHash(k, out _)).Select(k => { tree.TryGetValueHash(k, out var v); return (k, v); })];

    [Fact]
    public void A_tree_rewritten_many_times_over_is_compacted_and_keeps_its_root_entries_and_proofs()
    {
        var rnd = new Random(11);
        var tree = SparseMerkleTree.Build(Enumerable.Range(0, 300).Select(i => (H(i), H(-i))));
        var first = tree;
        long most = 0;
        for (var round = 0; round < 400; round++)
        {
            // Every round rewrites most of the tree: ≈ 800 nodes of garbage each, ≈ 320,000 over the test.
            var batch = Enumerable.Range(0, 300)
                .Select(_ => (H(rnd.Next(400)), rnd.Next(6) == 0 ? (Hash32?)null : H(rnd.Next())))
                .ToArray();
            tree = tree.Apply(batch);
            most = Math.Max(most, tree.StoredNodes);
        }

        // Bounded by the compaction policy (6 × entries + 65,536) plus one batch, not by everything ever written.
        Assert.True(most < 6 * 400 + 65_536 + 2_000, $"store grew to {most} nodes");
        var entries = Contents(tree, 400);
        Assert.Equal(entries.Length, tree.Count);
        Assert.Equal(SparseMerkleTree.Build(entries).Root, tree.Root);
        foreach (var (k, v) in entries) Assert.True(MerkleProofVerifier.VerifyInclusion(tree.Root, k, v, tree.Prove(k)));
        Assert.True(MerkleProofVerifier.VerifyExclusion(tree.Root, H(401), tree.Prove(H(401))));

        // The first version lives on in the store it was built in, untouched by the compactions.
        Assert.Equal(SparseMerkleTree.Build(Enumerable.Range(0, 300).Select(i => (H(i), H(-i)))).Root, first.Root);
        Assert.True(MerkleProofVerifier.VerifyInclusion(first.Root, H(7), H(-7), first.Prove(H(7))));
    }

    [Fact]
    public async Task Proofs_of_an_old_version_stay_valid_while_another_thread_rewrites_and_compacts_the_tree()
    {
        var old = SparseMerkleTree.Build(Enumerable.Range(0, 2_000).Select(i => (H(i), H(-i))));
        var failures = 0;
        var proofs = 0;
        using var stop = new CancellationTokenSource();
        var reading = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reader = Task.Factory.StartNew(
            () =>
            {
                var i = 0;
                while (!stop.IsCancellationRequested)
                {
                    var k = i++ % 2_000;
                    if (!MerkleProofVerifier.VerifyInclusion(old.Root, H(k), H(-k), old.Prove(H(k)))) Interlocked.Increment(ref failures);
                    proofs++;
                    reading.TrySetResult();
                }
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);
        await reading.Task;

        // The writer appends to the store the old version lives in until a compaction moves it elsewhere.
        var rnd = new Random(5);
        var tree = old;
        for (var round = 0; round < 150; round++)
        {
            tree = tree.Apply(Enumerable.Range(0, 1_000).Select(_ => (H(rnd.Next(2_500)), (Hash32?)H(rnd.Next()))).ToArray());
        }

        stop.Cancel();
        await reader;
        Assert.Equal(0, failures);
        Assert.True(proofs > 0);
        // ≈ 600,000 nodes were written; the policy (6 × entries + 65,536, plus one batch) keeps far fewer.
        Assert.True(tree.StoredNodes < 6 * 2_500 + 65_536 + 5_000, $"store of {tree.StoredNodes} nodes: never compacted");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(40)]
    [InlineData(3_000)]
    public void Compacting_keeps_exactly_the_live_nodes_of_the_version(int n)
    {
        var tree = SparseMerkleTree.Build(Enumerable.Range(0, n).Select(i => (H(i), H(-i))));
        // Garbage: overwrite and delete half the entries, one at a time.
        for (var i = 0; i < n; i += 2) tree = i % 4 == 0 ? tree.Set(H(i), H(i + 1_000_000)) : tree.Remove(H(i));

        var compacted = tree.Compact();

        Assert.Equal(tree.Root, compacted.Root);
        Assert.Equal(tree.Count, compacted.Count);
        Assert.Equal(Contents(tree, n), Contents(compacted, n));
        // A compact tree of c entries has c leaves and at least c − 1 inner nodes: nothing else is copied.
        var live = SparseMerkleTree.Build(Contents(tree, n)).StoredNodes;
        Assert.Equal(live, compacted.StoredNodes);
        Assert.True(compacted.StoredNodes < tree.StoredNodes);
    }
}
