using Dkms.Core.Primitives;

namespace Dkms.Core.Crypto;

/// <summary>
/// Root of a plain binary Merkle tree over an ordered list of hashes (a block's transaction hashes).
/// Leaves and inner nodes are hashed with distinct prefixes (RFC 6962 style) so a leaf can never pass
/// for an inner node; an odd node is promoted unchanged. The empty list has the zero root.
/// </summary>
public static class MerkleList
{
    public static Hash32 Root(IReadOnlyList<Hash32> items)
    {
        if (items.Count == 0) return Hash32.Zero;
        var level = new Hash32[items.Count];
        Span<byte> buf = stackalloc byte[1 + 2 * Hash32.Size];
        for (var i = 0; i < items.Count; i++)
        {
            buf[0] = 0;
            items[i].CopyTo(buf[1..]);
            level[i] = Hash32.Sha256(buf[..(1 + Hash32.Size)]);
        }

        var count = level.Length;
        Span<byte> h = stackalloc byte[Hash32.Size];
        while (count > 1)
        {
            var next = 0;
            for (var i = 0; i < count; i += 2)
            {
                if (i + 1 == count)
                {
                    level[next++] = level[i];
                    continue;
                }

                buf[0] = 1;
                level[i].CopyTo(buf[1..]);
                level[i + 1].CopyTo(buf[(1 + Hash32.Size)..]);
                Sha256.HashData(buf, h);
                level[next++] = new Hash32(h);
            }

            count = next;
        }

        return level[0];
    }
}
