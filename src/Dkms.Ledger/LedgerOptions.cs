namespace Dkms.Ledger;

/// <summary>Settings of a ledger instance.</summary>
public sealed record LedgerOptions(string ChainId)
{
    /// <summary>How many recent heights keep their state tree in memory, so proofs can be served at them.</summary>
    public int ProofHistoryHeights { get; init; } = 256;

    /// <summary>Transactions whose verified signatures are remembered (see <see cref="Execution.SignatureCache"/>).</summary>
    public int SignatureCacheCapacity { get; init; } = 400_000;

    /// <summary>Fsync every commit. Only benchmarks of the in-memory path turn this off.</summary>
    public bool SyncCommits { get; init; } = true;
}
