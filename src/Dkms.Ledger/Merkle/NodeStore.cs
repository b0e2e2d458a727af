using System.Numerics;
using Dkms.Core.Primitives;

namespace Dkms.Ledger.Merkle;

/// <summary>
/// Append-only storage for the nodes of a family of tree versions: two tables of plain structs (inner
/// nodes, leaves) holding no object references, in chunks allocated on the pinned heap. The garbage
/// collector neither traces nor moves them, so the ≈ 10,000 nodes a block of 1,000 updates creates cost
/// no collection work however long they live — as objects they were most of what every collection had
/// to copy. A node, once appended, never changes and never moves: readers of any version need no lock
/// while a writer appends, and several writers may append at once (the two halves of a batch run on two
/// threads). Nothing is freed; a tree whose store has grown far beyond its live nodes copies them into
/// a fresh store (<see cref="SparseMerkleTree"/>), and the old store goes when no version uses it.
/// </summary>
internal sealed class NodeStore
{
    // Chunk k holds 2^(FirstChunkBits + k) nodes: small trees stay small, big ones get big chunks, and
    // the chunk of an index is found from its highest bit. 23 chunks cover every index up to MaxIndex.
    private const int FirstChunkBits = 8;
    private const int Chunks = 23;

    /// <summary>Far beyond any tree compaction lets a store reach; a guard against a broken policy, not a limit in use.</summary>
    private const int MaxIndex = (1 << 30) - 1;

    private readonly InnerNode[]?[] _inner = new InnerNode[]?[Chunks];
    private readonly LeafNode[]?[] _leaves = new LeafNode[]?[Chunks];
    private readonly Lock _growing = new();
    private int _innerCount;
    private int _leafCount;

    /// <summary>Nodes appended so far, live or not.</summary>
    public long Allocated => (long)Volatile.Read(ref _innerCount) + Volatile.Read(ref _leafCount);

    public NodeRef AddLeaf(Hash32 keyHash, Hash32 valueHash) => AddLeaf(Hashing.Leaf(keyHash, valueHash), keyHash, valueHash);

    public NodeRef AddLeaf(Hash32 hash, Hash32 keyHash, Hash32 valueHash)
    {
        var index = Claim(ref _leafCount);
        var (chunk, offset) = Locate(index);
        var table = Volatile.Read(ref _leaves[chunk]) ?? Grow(_leaves, chunk);
        table[offset] = new LeafNode(hash, keyHash, valueHash);
        return NodeRef.ForLeaf(index);
    }

    /// <summary>A new inner node over two stored children; its hash is computed here.</summary>
    public NodeRef AddInner(NodeRef left, NodeRef right) => AddInner(Hashing.Inner(HashOf(left), HashOf(right)), left, right);

    public NodeRef AddInner(Hash32 hash, NodeRef left, NodeRef right)
    {
        var index = Claim(ref _innerCount);
        var (chunk, offset) = Locate(index);
        var table = Volatile.Read(ref _inner[chunk]) ?? Grow(_inner, chunk);
        table[offset] = new InnerNode(hash, left, right);
        return NodeRef.ForInner(index);
    }

    public ref readonly InnerNode Inner(NodeRef node)
    {
        var (chunk, offset) = Locate(node.Index);
        return ref Volatile.Read(ref _inner[chunk])![offset];
    }

    public ref readonly LeafNode Leaf(NodeRef node)
    {
        var (chunk, offset) = Locate(node.Index);
        return ref Volatile.Read(ref _leaves[chunk])![offset];
    }

    /// <summary>The node's hash; <see cref="Hash32.Zero"/> for the empty subtree.</summary>
    public Hash32 HashOf(NodeRef node) =>
        node.IsEmpty ? Hash32.Zero : node.IsLeaf ? Leaf(node).Hash : Inner(node).Hash;

    private static int Claim(ref int count)
    {
        var index = Interlocked.Increment(ref count) - 1;
        if ((uint)index > MaxIndex) throw new InvalidOperationException("the state tree's node store is full: compaction did not run");
        return index;
    }

    private static (int Chunk, int Offset) Locate(int index)
    {
        // Shifted by the first chunk's size, chunk k starts at 2^(FirstChunkBits + k).
        var shifted = (uint)index + (1u << FirstChunkBits);
        var top = BitOperations.Log2(shifted);
        return (top - FirstChunkBits, (int)(shifted - (1u << top)));
    }

    private T[] Grow<T>(T[]?[] tables, int chunk)
        where T : unmanaged
    {
        lock (_growing)
        {
            if (Volatile.Read(ref tables[chunk]) is { } existing) return existing;
            // Pinned: never moved by a compacting collection; unmanaged: never traced.
            var table = GC.AllocateUninitializedArray<T>(1 << (FirstChunkBits + chunk), pinned: true);
            Volatile.Write(ref tables[chunk], table);
            return table;
        }
    }
}
