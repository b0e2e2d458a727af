using Dkms.Core.Crypto;
using Dkms.Core.Primitives;
using MessagePack;

namespace Dkms.Core.Blocks;

/// <summary>
/// A header and its transactions. Transactions are opaque bytes to consensus. The hash covers the header only; the
/// header commits to the transactions through its transaction root, so a block is bound to its hash only once
/// <see cref="TransactionRootMatches"/> holds: a decoded block must pass it before it is kept or judged.
/// </summary>
[MessagePackObject]
public sealed class Block
{
    private Hash32? _hash;
    private int _rootCheck; // 0 not computed, 1 matches, 2 does not (a block is immutable once built or decoded)
    private long _transactionBytes = -1;

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

    /// <summary>Total bytes of the transactions (computed once).</summary>
    [IgnoreMember]
    public long TransactionBytes
    {
        get
        {
            if (_transactionBytes < 0)
            {
                long sum = 0;
                foreach (var tx in Transactions) sum += tx.Length;
                _transactionBytes = sum;
            }

            return _transactionBytes;
        }
    }

    /// <summary>True when the header's transaction root matches the transactions carried (computed once per instance:
    /// a hash per transaction, the dominant cost of checking a proposal).</summary>
    public bool TransactionRootMatches()
    {
        if (_rootCheck == 0) _rootCheck = ComputeTransactionRoot(Transactions) == Header.TransactionRoot ? 1 : 2;
        return _rootCheck == 1;
    }
}
