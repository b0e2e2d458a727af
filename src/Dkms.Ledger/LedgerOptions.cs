namespace Dkms.Ledger;

/// <summary>Settings of a ledger instance.</summary>
public sealed record LedgerOptions(string ChainId)
{
    /// <summary>
    /// How many recent heights keep their state tree in memory, so proofs can be served at them. Each kept
    /// height holds the ≈ 9,000 tree nodes its block created (1,000 updates on 100k entries) — outside the
    /// garbage-collected heap, but in memory until the height leaves the window, and a kept height keeps a
    /// compacted-away node store alive. See docs/state-tree.md.
    /// </summary>
    public int ProofHistoryHeights { get; init; } = 64;

    /// <summary>Transactions whose verified signatures are remembered (see <see cref="Execution.SignatureCache"/>).</summary>
    public int SignatureCacheCapacity { get; init; } = 400_000;

    /// <summary>
    /// Identities whose decoded committed state is kept in memory for admission checks, block execution and
    /// rechecks (see <see cref="Execution.CommittedIdentityCache"/>); 0 turns the cache off. The default holds
    /// a million — ≈ 0.5 KB each, ≈ 0.5 GB when full, about what the state tree itself costs per entry — so a
    /// ledger of that size executes blocks without reading its store for identities; beyond it, the identities
    /// touched least recently are read from the store again (≈ 5 µs each) when next needed.
    /// </summary>
    public int IdentityCacheCapacity { get; init; } = 1_000_000;

    /// <summary>Fsync every commit. Only benchmarks of the in-memory path turn this off.</summary>
    public bool SyncCommits { get; init; } = true;
}
