namespace Dkms.Node.Mempool;

/// <summary>Bounds of the mempool (counts and bytes).</summary>
public sealed record MempoolOptions
{
    /// <summary>Most transactions held; beyond it submissions get "mempool full".</summary>
    public int MaxTransactions { get; init; } = 20_000;

    /// <summary>Most bytes of encoded transactions held.</summary>
    public long MaxBytes { get; init; } = 256L * 1024 * 1024;

    /// <summary>How many recent rejections are remembered for <c>tx.status</c>.</summary>
    public int RejectedHistory { get; init; } = 100_000;

    /// <summary>How long a transaction may wait for its predecessor (a lower sequence or the identity's inception)
    /// before it is evicted as rejected, milliseconds.</summary>
    public int WaitingTimeoutMs { get; init; } = 30_000;

    /// <summary>Most sequence numbers past an identity's next one that a transaction kept waiting may be; one further
    /// ahead is refused (<c>LimitExceeded</c>): it could only commit after that many others.</summary>
    public int MaxSequenceAhead { get; init; } = 64;

    /// <summary>Most orphans of one identity: transactions waiting for a predecessor that is neither committed nor pending
    /// here (a gap, or an identity whose inception is not here). Beyond it they are refused (<c>LimitExceeded</c>).</summary>
    public int MaxOrphansPerIdentity { get; init; } = 4;

    /// <summary>Share of <see cref="MaxTransactions"/> and <see cref="MaxBytes"/> that orphans may take, percent. When it
    /// is used up the oldest orphan makes way for a new one; a full pool drops orphans to admit an admissible
    /// transaction.</summary>
    public int OrphanSharePercent { get; init; } = 10;

    /// <summary>Most orphans held (<see cref="OrphanSharePercent"/> of <see cref="MaxTransactions"/>).</summary>
    internal int MaxOrphans => (int)((long)MaxTransactions * OrphanSharePercent / 100);

    /// <summary>Most bytes of orphans held (<see cref="OrphanSharePercent"/> of <see cref="MaxBytes"/>).</summary>
    internal long MaxOrphanBytes => MaxBytes / 100 * OrphanSharePercent;

    /// <summary>Most transactions queued for background admission (submit mode <c>async</c>); beyond it
    /// submissions get "mempool full" and are to be retried.</summary>
    public int AdmissionQueueTransactions { get; init; } = 10_000;

    /// <summary>How many refusals of acknowledged transactions the pending journal keeps on disk for <c>tx.status</c>
    /// across restarts (the oldest are trimmed).</summary>
    public int DurableRejections { get; init; } = 100_000;

    /// <summary>Least time between two synced writes of the pending journal, milliseconds: acknowledgements arriving
    /// meanwhile share one fsync. It delays acknowledgements (not admission or commits) by up to this much, and spares
    /// the disk — and the ledger's block commits on it — an fsync per request. 0: sync as soon as the previous one ends.</summary>
    public int JournalSyncSpacingMs { get; init; } = 0;

    /// <summary>Most transactions in one gossip message to a peer.</summary>
    public int GossipBatchTransactions { get; init; } = 2_000;
}
