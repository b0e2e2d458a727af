using Dkms.Core.Primitives;
using Dkms.Ledger.Merkle;

namespace Dkms.Ledger.Tests.Merkle;

public class SparseMerkleTreeTests
{
    private static Hash32 H(int i) => Hash32.Sha256(BitConverter.GetBytes(i));

    private static (Hash32, Hash32)[] Entries(int n, int seed = 1) =>
        [.. Enumerable.Range(0, n).Select(i => (H(i + seed * 1_000_000), H(-i - 1)))];

    private static SparseMerkleTree Insert(IEnumerable<(Hash32 K, Hash32 V)> entries)
    {
        var t = SparseMerkleTree.Empty;
        foreach (var (k, v) in entries) t = t.Set(k, v);
        return t;
    }

    [Fact]
    public void Empty_tree_has_the_zero_root_and_proves_absence()
    {
        var t = SparseMerkleTree.Empty;
        Assert.Equal(Hash32.Zero, t.Root);
        Assert.True(MerkleProofVerifier.VerifyExclusion(t.Root, H(1), t.Prove(H(1))));
    }

    [Fact]
    public void Single_entry_root_is_its_leaf_hash()
    {
        var t = SparseMerkleTree.Empty.Set(H(1), H(2));
        Assert.Equal(Hashing.Leaf(H(1), H(2)), t.Root);
        Assert.True(MerkleProofVerifier.VerifyInclusion(t.Root, H(1), H(2), t.Prove(H(1))));
        Assert.True(MerkleProofVerifier.VerifyExclusion(t.Root, H(3), t.Prove(H(3))));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(17)]
    [InlineData(500)]
    public void Root_does_not_depend_on_insertion_order(int n)
    {
        var entries = Entries(n);
        var expected = Insert(entries).Root;
        var rnd = new Random(42);
        for (var i = 0; i < 5; i++)
        {
            var shuffled = entries.OrderBy(_ => rnd.Next()).ToArray();
            Assert.Equal(expected, Insert(shuffled).Root);
        }

        Assert.Equal(expected, SparseMerkleTree.Build(entries).Root);
        Assert.Equal(n, SparseMerkleTree.Build(entries).Count);
    }

    [Fact]
    public void Removing_entries_restores_earlier_roots_exactly()
    {
        var entries = Entries(300);
        var small = Insert(entries.Take(100));
        var big = Insert(entries);
        var shrunk = big;
        foreach (var (k, _) in entries.Skip(100).Reverse()) shrunk = shrunk.Remove(k);
        Assert.Equal(small.Root, shrunk.Root);
        Assert.Equal(100, shrunk.Count);
        foreach (var (k, _) in entries.Take(100)) shrunk = shrunk.Remove(k);
        Assert.Equal(Hash32.Zero, shrunk.Root);
        Assert.Equal(0, shrunk.Count);
    }

    [Fact]
    public void Updates_leave_older_versions_unchanged()
    {
        var entries = Entries(200);
        var v1 = Insert(entries);
        var root1 = v1.Root;
        var v2 = v1.Apply(entries.Take(50).Select(e => (e.Item1, (Hash32?)H(7))));
        Assert.NotEqual(root1, v2.Root);
        Assert.Equal(root1, v1.Root);
        Assert.True(v1.TryGetValueHash(entries[0].Item1, out var old));
        Assert.Equal(entries[0].Item2, old);
        Assert.True(MerkleProofVerifier.VerifyInclusion(root1, entries[0].Item1, entries[0].Item2, v1.Prove(entries[0].Item1)));
    }

    [Fact]
    public void Every_present_key_has_a_verifying_inclusion_proof_and_absent_keys_verifying_exclusion_proofs()
    {
        var entries = Entries(1000);
        var t = SparseMerkleTree.Build(entries);
        foreach (var (k, v) in entries)
        {
            var p = t.Prove(k);
            Assert.True(MerkleProofVerifier.VerifyInclusion(t.Root, k, v, p));
            Assert.False(MerkleProofVerifier.VerifyExclusion(t.Root, k, p));
            Assert.False(MerkleProofVerifier.VerifyInclusion(t.Root, k, H(123456), p));
        }

        int emptyPath = 0, otherLeaf = 0;
        for (var i = 0; i < 1000; i++)
        {
            var absent = H(-5_000_000 - i);
            var p = t.Prove(absent);
            Assert.True(MerkleProofVerifier.VerifyExclusion(t.Root, absent, p));
            if (p.LeafKeyHash is null) emptyPath++;
            else otherLeaf++;
        }

        // Both kinds of exclusion proof were exercised.
        Assert.True(emptyPath > 0 && otherLeaf > 0, $"empty paths {emptyPath}, other leaves {otherLeaf}");
    }

    [Fact]
    public void Tampered_proofs_do_not_verify()
    {
        var entries = Entries(64);
        var t = SparseMerkleTree.Build(entries);
        var (k, v) = entries[10];
        var proof = t.Prove(k);
        Assert.True(proof.Siblings.Length > 0);

        for (var i = 0; i < proof.Siblings.Length; i++)
        {
            var bytes = proof.Siblings[i].ToArray();
            bytes[0] ^= 0x80;
            var siblings = (Hash32[])proof.Siblings.Clone();
            siblings[i] = new Hash32(bytes);
            Assert.False(MerkleProofVerifier.VerifyInclusion(t.Root, k, v, proof with { Siblings = siblings }));
        }

        Assert.False(MerkleProofVerifier.VerifyInclusion(t.Root, k, v, proof with { Siblings = proof.Siblings[1..] }));
        Assert.False(MerkleProofVerifier.VerifyInclusion(t.Root, k, v, proof with { Siblings = [.. proof.Siblings, Hash32.Zero] }));
        Assert.False(MerkleProofVerifier.VerifyInclusion(t.Root, k, v, proof with { LeafValueHash = H(99) }));
        Assert.False(MerkleProofVerifier.VerifyInclusion(t.Root, k, v, proof with { Siblings = new Hash32[300] }));
        // An exclusion proof that drops the leaf found on the path must not show absence.
        Assert.False(MerkleProofVerifier.VerifyExclusion(t.Root, k, proof with { LeafKeyHash = null, LeafValueHash = null }));
        Assert.False(MerkleProofVerifier.VerifyInclusion(H(5), k, v, proof));
    }

    [Fact]
    public void Keys_sharing_a_long_prefix_produce_a_chain_that_proves_and_collapses()
    {
        var a = new byte[32];
        var b = new byte[32];
        b[3] = 0x01; // first difference at bit 31
        var ka = new Hash32(a);
        var kb = new Hash32(b);
        var t = SparseMerkleTree.Empty.Set(ka, H(1)).Set(kb, H(2));
        var p = t.Prove(kb);
        Assert.Equal(32, p.Siblings.Length);
        Assert.True(MerkleProofVerifier.VerifyInclusion(t.Root, kb, H(2), p));
        Assert.Equal(Hashing.Leaf(ka, H(1)), t.Remove(kb).Root);
    }
}

public class SparseMerkleTreeBatchTests
{
    private static Hash32 H(int i) => Hash32.Sha256(BitConverter.GetBytes(i));

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void Batch_apply_equals_one_update_at_a_time(int seed)
    {
        var rnd = new Random(seed);
        var sequential = SparseMerkleTree.Empty;
        var batched = SparseMerkleTree.Empty;
        for (var round = 0; round < 30; round++)
        {
            // Keys from a small pool so batches mix inserts, overwrites, deletes of present and absent keys, and repeats.
            var batch = Enumerable.Range(0, rnd.Next(0, 120))
                .Select(_ => (H(rnd.Next(300)), rnd.Next(4) == 0 ? (Hash32?)null : H(rnd.Next(1_000_000))))
                .ToArray();
            foreach (var (k, v) in batch) sequential = v is { } value ? sequential.Set(k, value) : sequential.Remove(k);
            batched = batched.Apply(batch);
            Assert.Equal(sequential.Root, batched.Root);
            Assert.Equal(sequential.Count, batched.Count);
        }

        var entries = Enumerable.Range(0, 300).Select(H).Where(k => sequential.TryGetValueHash(k, out _))
            .Select(k => { sequential.TryGetValueHash(k, out var v); return (k, v); }).ToArray();
        Assert.Equal(sequential.Root, SparseMerkleTree.Build(entries).Root);
    }

    [Fact]
    public void Large_batch_hashed_on_two_threads_equals_one_update_at_a_time()
    {
        // Large enough that the root's two subtrees are built in parallel; mixes inserts, overwrites and deletes.
        var rnd = new Random(7);
        var start = Enumerable.Range(0, 3_000).Select(i => (H(i), H(-i))).ToArray();
        var sequential = SparseMerkleTree.Build(start);
        var batched = sequential;
        for (var round = 0; round < 5; round++)
        {
            var batch = Enumerable.Range(0, 1_000)
                .Select(_ => (H(rnd.Next(4_000)), rnd.Next(5) == 0 ? (Hash32?)null : H(rnd.Next(1_000_000))))
                .ToArray();
            foreach (var (k, v) in batch) sequential = v is { } value ? sequential.Set(k, value) : sequential.Remove(k);
            batched = batched.Apply(batch);
            Assert.Equal(sequential.Root, batched.Root);
            Assert.Equal(sequential.Count, batched.Count);
        }

        // Deleting everything but one entry collapses to that entry's leaf, in parallel as well.
        var keys = Enumerable.Range(0, 4_000).Select(H).Where(k => batched.TryGetValueHash(k, out _)).ToArray();
        var left = batched.Apply(keys.Skip(1).Select(k => (k, (Hash32?)null)));
        batched.TryGetValueHash(keys[0], out var v0);
        Assert.Equal(Hashing.Leaf(keys[0], v0), left.Root);
        Assert.Equal(1, left.Count);
    }
}
