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

    /// <summary>Most transactions queued for background admission (submit mode <c>async</c>); beyond it
    /// submissions get "mempool full" and are to be retried.</summary>
    public int AdmissionQueueTransactions { get; init; } = 10_000;

    /// <summary>Most transactions in one gossip message to a peer.</summary>
    public int GossipBatchTransactions { get; init; } = 2_000;
}
