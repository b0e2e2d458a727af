using Dkms.Core.Blocks;
using Dkms.Core.Primitives;

namespace Dkms.Consensus;

/// <summary>The last committed block as the application knows it (height 0 = genesis, nothing committed).</summary>
public readonly record struct ChainTip(ulong Height, Hash32 BlockHash, long TimestampMs);

/// <summary>Outcome of executing a proposed block on top of the committed state.</summary>
public readonly record struct ExecutionResult(bool Accepted, Hash32 StateRoot, string Error)
{
    public static ExecutionResult Ok(Hash32 stateRoot) => new(true, stateRoot, "");
    public static ExecutionResult Rejected(string error) => new(false, Hash32.Zero, error);
}

/// <summary>
/// The ledger as consensus sees it. Every call comes from the engine's single loop thread.
/// </summary>
public interface IConsensusApplication
{
    ChainTip Tip { get; }

    /// <summary>True when the mempool holds transactions not yet committed (an idle chain waits for this).</summary>
    bool HasPendingTransactions { get; }

    /// <summary>getValue() of Algorithm 1 line 18: a batch of at most <paramref name="maxCount"/> transactions
    /// and <paramref name="maxBytes"/> bytes, in proposal order, for a block at <paramref name="height"/> with
    /// timestamp <paramref name="timestampMs"/>. The engine then calls <see cref="Execute"/> with exactly this
    /// batch, height and timestamp, so an application that executed the batch while choosing it may answer
    /// that call from what it kept.</summary>
    IReadOnlyList<byte[]> SelectTransactions(ulong height, long timestampMs, int maxCount, int maxBytes);

    /// <summary>Executes <paramref name="transactions"/> at <paramref name="height"/> on a scratch copy of the committed
    /// state and returns the resulting state root, or a rejection (an invalid transaction). Must not change committed state.</summary>
    ExecutionResult Execute(ulong height, long timestampMs, IReadOnlyList<byte[]> transactions);

    /// <summary>Commits a decided block: block, certificate and state changes in one atomic write.
    /// <paramref name="block"/> is at <see cref="Tip"/>.Height + 1.</summary>
    void Commit(Block block, CommitCertificate certificate);

    /// <summary>A committed block and its certificate, for peers catching up.</summary>
    bool TryGetCommitted(ulong height, out Block block, out CommitCertificate certificate);

    /// <summary>The validators in force at <paramref name="height"/>. Must answer for every height up to
    /// <see cref="Tip"/>.Height + 1: a change committed at height H takes effect at H + 2
    /// (<see cref="ValidatorSetChange.Delay"/>), so the set of the next height is always known.</summary>
    ValidatorSet ValidatorSetAt(ulong height);
}

public static class ValidatorSetChange
{
    /// <summary>A validator-set change committed in block H is in force from height H + 2.</summary>
    public const ulong Delay = Dkms.Core.Transactions.Governance.ActivationDelay;
}
