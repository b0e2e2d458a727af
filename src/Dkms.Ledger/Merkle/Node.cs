using Dkms.Core.Primitives;

namespace Dkms.Ledger.Merkle;

/// <summary>
/// A node of a tree in a <see cref="NodeStore"/>: zero is the empty subtree, a positive value an inner
/// node, a negative one a leaf. A plain number rather than an object, so a tree of 100k entries is not
/// 200k objects for the garbage collector to trace and copy.
/// </summary>
internal readonly record struct NodeRef
{
    private readonly int _value;

    private NodeRef(int value) => _value = value;

    public static readonly NodeRef Empty;

    public static NodeRef ForInner(int index) => new(index + 1);

    public static NodeRef ForLeaf(int index) => new(-(index + 1));

    public bool IsEmpty => _value == 0;

    public bool IsLeaf => _value < 0;

    public bool IsInner => _value > 0;

    /// <summary>Position in the store's inner-node or leaf table.</summary>
    public int Index => _value > 0 ? _value - 1 : -_value - 1;
}

/// <summary>
/// An inner node; at least two leaves live below it (canonical form), either child may be empty. Its
/// hash is computed once, when it is built (children are always built first), so a stored node is
/// complete and immutable from then on.
/// </summary>
internal readonly struct InnerNode(Hash32 hash, NodeRef left, NodeRef right)
{
    public readonly Hash32 Hash = hash;
    public readonly NodeRef Left = left;
    public readonly NodeRef Right = right;

    public NodeRef Child(int bit) => bit == 0 ? Left : Right;
}

internal readonly struct LeafNode(Hash32 hash, Hash32 keyHash, Hash32 valueHash)
{
    public readonly Hash32 Hash = hash;
    public readonly Hash32 KeyHash = keyHash;
    public readonly Hash32 ValueHash = valueHash;
}
