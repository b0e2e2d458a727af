using Dkms.Core.Primitives;

namespace Dkms.Ledger.Merkle;

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
