using Dkms.Core.Crypto;
using Dkms.Core.Primitives;
using MessagePack;

namespace Dkms.Core.Blocks;

/// <summary>A header and its transactions. Transactions are opaque bytes to consensus.</summary>
[MessagePackObject]
public sealed class Block
{
    private Hash32? _hash;

    public Block(BlockHeader header, IReadOnlyList<byte[]> transactions)
    {
        Header = header;
        Transactions = transactions;
    }

    [Key(0)] public BlockHeader Header { get; }
    [Key(1)] public IReadOnlyList<byte[]> Transactions { get; }

    /// <summary>SHA-256 of the canonical header bytes (computed once).</summary>
    [IgnoreMember]
    public Hash32 Hash => _hash ??= Header.ComputeHash();

    [IgnoreMember] public ulong Height => Header.Height;

    /// <summary>Merkle root (<see cref="MerkleList"/>) over the SHA-256 of each transaction's bytes.</summary>
    public static Hash32 ComputeTransactionRoot(IReadOnlyList<byte[]> transactions)
    {
        var hashes = new Hash32[transactions.Count];
        for (var i = 0; i < hashes.Length; i++) hashes[i] = Hash32.Sha256(transactions[i]);
        return MerkleList.Root(hashes);
    }

    /// <summary>True when the header's transaction root matches the transactions carried.</summary>
    public bool TransactionRootMatches() => ComputeTransactionRoot(Transactions) == Header.TransactionRoot;
}
