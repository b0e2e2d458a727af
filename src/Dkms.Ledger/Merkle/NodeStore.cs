using Dkms.Core.Primitives;

namespace Dkms.Ledger.Merkle;

/// <summary>
/// The nodes of a family of tree versions: inner nodes and leaves in two <see cref="ChunkedTable{T}"/>s,
/// out of the garbage collector's way — as objects, the ≈ 10,000 nodes a block of 1,000 updates creates
/// were most of what every collection had to copy. Nodes are immutable once added; readers of any version
/// need no lock while a writer appends, and several writers may append at once (the two halves of a batch
/// run on two threads). Nothing is freed: a tree whose store has grown far beyond its live nodes copies
/// them into a fresh store (<see cref="SparseMerkleTree"/>), and the old store goes when no version uses it.
/// </summary>
internal sealed class NodeStore
{
    private readonly ChunkedTable<InnerNode> _inner = new();
    private readonly ChunkedTable<LeafNode> _leaves = new();

    /// <summary>Nodes added so far, live or not.</summary>
    public long Allocated => (long)_inner.Count + _leaves.Count;

    public NodeRef AddLeaf(Hash32 keyHash, Hash32 valueHash) => AddLeaf(Hashing.Leaf(keyHash, valueHash), keyHash, valueHash);

    public NodeRef AddLeaf(Hash32 hash, Hash32 keyHash, Hash32 valueHash) =>
        NodeRef.ForLeaf(_leaves.Add(new LeafNode(hash, keyHash, valueHash)));

    /// <summary>A new inner node over two stored children; its hash is computed here.</summary>
    public NodeRef AddInner(NodeRef left, NodeRef right) => AddInner(Hashing.Inner(HashOf(left), HashOf(right)), left, right);

    public NodeRef AddInner(Hash32 hash, NodeRef left, NodeRef right) =>
        NodeRef.ForInner(_inner.Add(new InnerNode(hash, left, right)));

    public ref readonly InnerNode Inner(NodeRef node) => ref _inner[node.Index];

    public ref readonly LeafNode Leaf(NodeRef node) => ref _leaves[node.Index];

    /// <summary>The node's hash; <see cref="Hash32.Zero"/> for the empty subtree.</summary>
    public Hash32 HashOf(NodeRef node) =>
        node.IsEmpty ? Hash32.Zero : node.IsLeaf ? Leaf(node).Hash : Inner(node).Hash;
}
