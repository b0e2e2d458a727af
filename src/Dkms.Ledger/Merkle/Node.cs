using System.Security.Cryptography;
using Dkms.Core.Primitives;

namespace Dkms.Ledger.Merkle;

/// <summary>
/// An immutable tree node. Hashes are computed on first use and cached, so a batch of updates
/// followed by one root read hashes each new node exactly once. Racing threads compute the same
/// value, so the cache needs no lock.
/// </summary>
internal abstract class Node
{
    public abstract Hash32 Hash { get; }
}

internal sealed class Leaf(Hash32 keyHash, Hash32 valueHash) : Node
{
    private Hash32 _hash;
    private bool _hashed;

    public Hash32 KeyHash { get; } = keyHash;

    public Hash32 ValueHash { get; } = valueHash;

    public override Hash32 Hash
    {
        get
        {
            if (!_hashed)
            {
                _hash = Hashing.Leaf(KeyHash, ValueHash);
                _hashed = true;
            }

            return _hash;
        }
    }
}

/// <summary>An inner node; at least two leaves live below it (canonical form), either child may be empty.</summary>
internal sealed class Inner(Node? left, Node? right) : Node
{
    private Hash32 _hash;
    private bool _hashed;

    public Node? Left { get; } = left;

    public Node? Right { get; } = right;

    public Node? Child(int bit) => bit == 0 ? Left : Right;

    public override Hash32 Hash
    {
        get
        {
            if (!_hashed)
            {
                _hash = Hashing.Inner(Left?.Hash ?? Hash32.Zero, Right?.Hash ?? Hash32.Zero);
                _hashed = true;
            }

            return _hash;
        }
    }
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
        Span<byte> h = stackalloc byte[Hash32.Size];
        SHA256.HashData(b, h);
        return new Hash32(h);
    }
}
