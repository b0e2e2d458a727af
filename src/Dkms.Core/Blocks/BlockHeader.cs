using Dkms.Core.Encoding;
using Dkms.Core.Primitives;
using MessagePack;

namespace Dkms.Core.Blocks;

/// <summary>
/// The signed-over part of a block. Its hash (SHA-256 of the canonical MessagePack encoding) is the
/// block's identity: votes and certificates name a block by this hash only.
/// </summary>
[MessagePackObject]
public sealed class BlockHeader
{
    public BlockHeader(string chainId, ulong height, int round, Hash32 previousHash, Hash32 transactionRoot,
        Hash32 stateRoot, PublicKey proposer, long timestampMs)
    {
        ChainId = chainId;
        Height = height;
        Round = round;
        PreviousHash = previousHash;
        TransactionRoot = transactionRoot;
        StateRoot = stateRoot;
        Proposer = proposer;
        TimestampMs = timestampMs;
    }

    [Key(0)] public string ChainId { get; }
    [Key(1)] public ulong Height { get; }
    /// <summary>The round in which the proposer created this block (a later round may re-propose it).</summary>
    [Key(2)] public int Round { get; }
    [Key(3)] public Hash32 PreviousHash { get; }
    /// <summary><see cref="Block.ComputeTransactionRoot"/> of the block's transactions.</summary>
    [Key(4)] public Hash32 TransactionRoot { get; }
    /// <summary>The application state root after applying this block.</summary>
    [Key(5)] public Hash32 StateRoot { get; }
    [Key(6)] public PublicKey Proposer { get; }
    /// <summary>Unix time in milliseconds, from the proposer's clock.</summary>
    [Key(7)] public long TimestampMs { get; }

    public Hash32 ComputeHash() => Hash32.Sha256(Codec.Encode(this));
}
