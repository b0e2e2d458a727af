using Dkms.Core.Primitives;

namespace Dkms.Ledger.Merkle;

/// <summary>
/// An immutable tree node. Its hash is computed once, when the node is built (children are always
/// built first), so a node is complete and safe to share across threads from construction on, and
/// independent subtrees can be built on different threads.
/// </summary>
internal abstract class Node(Hash32 hash)
{
    public Hash32 Hash { get; } = hash;
}

internal sealed class Leaf(Hash32 keyHash, Hash32 valueHash) : Node(Hashing.Leaf(keyHash, valueHash))
{
    public Hash32 KeyHash { get; } = keyHash;

    public Hash32 ValueHash { get; } = valueHash;
}

/// <summary>An inner node; at least two leaves live below it (canonical form), either child may be empty.</summary>
internal sealed class Inner(Node? left, Node? right) : Node(Hashing.Inner(left?.Hash ?? Hash32.Zero, right?.Hash ?? Hash32.Zero))
{
    public Node? Left { get; } = left;

    public Node? Right { get; } = right;

    public Node? Child(int bit) => bit == 0 ? Left : Right;
}

/// <summary>The two node hash functions, with distinct prefixes so a leaf can never pass for an inner node.</summary>
public static class Hashing
{
    public static Hash32 Leaf(Hash32 keyHash, Hash32 valueHash)
    {
        Span<byte> b = stackalloc byte[1 + 2 * Hash32.Size];
        b[0] = 0;
        keyHash.CopyTo(b[1..]);
        valueHash.CopyTo(b[(1 + Hash32.Size)..]);
        return Hash32.Sha256(b);
    }

    public static Hash32 Inner(Hash32 left, Hash32 right)
    {
        Span<byte> b = stackalloc byte[1 + 2 * Hash32.Size];
        b[0] = 1;
        left.CopyTo(b[1..]);
        right.CopyTo(b[(1 + Hash32.Size)..]);
        return Hash32.Sha256(b);
    }
}
