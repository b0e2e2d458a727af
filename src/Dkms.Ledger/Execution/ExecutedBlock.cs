using Dkms.Core.Primitives;
using Dkms.Core.Transactions;
using Dkms.Ledger.Merkle;

namespace Dkms.Ledger.Execution;

/// <summary>
/// A block executed on top of committed state but not committed: per-transaction results, the state
/// root it would produce, and the pending writes. Commit it with <see cref="DkmsLedger.Commit"/> or
/// just drop it — nothing was written anywhere.
/// </summary>
public sealed class ExecutedBlock
{
    internal ExecutedBlock(ulong height, ulong blockTimeMs, Hash32 parentRoot, IReadOnlyList<Transaction> txs,
        TxResult[] results, StateOverlay overlay, SparseMerkleTree tree, List<KeyValuePair<byte[], byte[]>> authenticatedWrites)
    {
        Height = height;
        BlockTimeMs = blockTimeMs;
        ParentStateRoot = parentRoot;
        Transactions = txs;
        Results = results;
        Overlay = overlay;
        Tree = tree;
        AuthenticatedWrites = authenticatedWrites;
        Accepted = [.. txs.Where((_, i) => results[i].IsOk)];
    }

    /// <summary>This block with its rejected transactions left out. Rejected transactions changed nothing and took
    /// no index, so the state, its root and the pending writes are the same.</summary>
    internal ExecutedBlock WithoutRejected() => AllAccepted
        ? this
        : new ExecutedBlock(Height, BlockTimeMs, ParentStateRoot, Accepted, [.. Results.Where(r => r.IsOk)], Overlay, Tree, AuthenticatedWrites);

    public ulong Height { get; }

    public ulong BlockTimeMs { get; }

    /// <summary>The committed state root this block was executed on.</summary>
    public Hash32 ParentStateRoot { get; }

    /// <summary>The transactions as given, in order.</summary>
    public IReadOnlyList<Transaction> Transactions { get; }

    /// <summary>One result per transaction of <see cref="Transactions"/>; rejected ones changed nothing.</summary>
    public IReadOnlyList<TxResult> Results { get; }

    /// <summary>The accepted transactions, in order: what a proposer puts in its block.</summary>
    public IReadOnlyList<Transaction> Accepted { get; }

    /// <summary>True when every transaction was accepted: a validator votes only for such blocks.</summary>
    public bool AllAccepted => Accepted.Count == Transactions.Count;

    /// <summary>The state root after this block.</summary>
    public Hash32 StateRoot => Tree.Root;

    internal StateOverlay Overlay { get; }

    internal SparseMerkleTree Tree { get; }

    internal List<KeyValuePair<byte[], byte[]>> AuthenticatedWrites { get; }
}
