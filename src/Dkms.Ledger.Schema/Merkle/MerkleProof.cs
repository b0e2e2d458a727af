using Dkms.Core.Primitives;
using MessagePack;

namespace Dkms.Ledger.Merkle;

/// <summary>
/// The path to where a key lives or would live: the sibling hashes from the root down, and the leaf
/// found at the end of the path (none when the path ends in an empty subtree). For a present key the
/// leaf is the key's own; for an absent key it is another key's leaf sharing the path, or none.
/// </summary>
[MessagePackObject]
public sealed record MerkleProof(
    [property: Key(0)] Hash32[] Siblings,
    [property: Key(1)] Hash32? LeafKeyHash,
    [property: Key(2)] Hash32? LeafValueHash);

/// <summary>Checks proofs against a trusted root. Proofs are untrusted input: every field is bounded.</summary>
public static class MerkleProofVerifier
{
    public const int MaxDepth = 256;

    /// <summary>True when the proof shows <paramref name="keyHash"/> maps to <paramref name="valueHash"/> under <paramref name="root"/>.</summary>
    public static bool VerifyInclusion(Hash32 root, Hash32 keyHash, Hash32 valueHash, MerkleProof proof)
    {
        if (!WellFormed(proof) || proof.LeafKeyHash != keyHash || proof.LeafValueHash != valueHash) return false;
        return Fold(keyHash, Hashing.Leaf(keyHash, valueHash), proof.Siblings) == root;
    }

    /// <summary>True when the proof shows no entry for <paramref name="keyHash"/> exists under <paramref name="root"/>.</summary>
    public static bool VerifyExclusion(Hash32 root, Hash32 keyHash, MerkleProof proof)
    {
        if (!WellFormed(proof)) return false;
        var depth = proof.Siblings.Length;
        if (proof.LeafKeyHash is not { } otherKey)
        {
            // The path ends in an empty subtree. The empty tree is the zero root with no siblings.
            if (depth == 0) return root == Hash32.Zero;
            return Fold(keyHash, Hash32.Zero, proof.Siblings) == root;
        }

        // Another key's leaf sits where ours would be: it must share our path and be a different key.
        if (otherKey == keyHash || proof.LeafValueHash is not { } otherValue) return false;
        for (var i = 0; i < depth; i++)
        {
            if (otherKey.Bit(i) != keyHash.Bit(i)) return false;
        }

        return Fold(keyHash, Hashing.Leaf(otherKey, otherValue), proof.Siblings) == root;
    }

    private static bool WellFormed(MerkleProof? proof) =>
        proof?.Siblings is not null && proof.Siblings.Length <= MaxDepth && (proof.LeafKeyHash is null) == (proof.LeafValueHash is null);

    /// <summary>Hashes from the node at depth = siblings.Length back up to the root, along the key's bits.</summary>
    private static Hash32 Fold(Hash32 keyHash, Hash32 node, Hash32[] siblings)
    {
        for (var depth = siblings.Length - 1; depth >= 0; depth--)
        {
            node = keyHash.Bit(depth) == 0 ? Hashing.Inner(node, siblings[depth]) : Hashing.Inner(siblings[depth], node);
        }

        return node;
    }
}

/// <summary>Proofs over store keys and values (what the ledger serves): the tree holds their SHA-256 hashes.</summary>
public static class StateProof
{
    public static bool VerifyValue(Hash32 root, byte[] key, byte[] value, MerkleProof proof) =>
        MerkleProofVerifier.VerifyInclusion(root, Hash32.Sha256(key), Hash32.Sha256(value), proof);

    public static bool VerifyAbsent(Hash32 root, byte[] key, MerkleProof proof) =>
        MerkleProofVerifier.VerifyExclusion(root, Hash32.Sha256(key), proof);
}
