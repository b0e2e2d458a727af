using Dkms.Core.Blocks;
using Prometheus;

namespace Dkms.Node;

/// <summary>
/// The node's Prometheus metrics, in a registry of its own (several nodes may share a process in tests).
/// Gauges that mirror state (height, round, mempool, peers) are read when scraped.
/// </summary>
public sealed class NodeMetrics
{
    public NodeMetrics()
    {
        Registry = Prometheus.Metrics.NewCustomRegistry();
        var f = Prometheus.Metrics.WithCustomRegistry(Registry);
        Height = f.CreateGauge("dkms_height", "Height of the last committed block.");
        Round = f.CreateGauge("dkms_round", "Consensus round at the current height.");
        MempoolTransactions = f.CreateGauge("dkms_mempool_transactions", "Transactions waiting in the mempool.");
        MempoolBytes = f.CreateGauge("dkms_mempool_bytes", "Bytes of transactions waiting in the mempool.");
        MempoolOrphans = f.CreateGauge("dkms_mempool_orphans",
            "Mempool transactions waiting for a predecessor that is neither committed nor pending here (capped; a flood of junk shows here).");
        PendingJournal = f.CreateGauge("dkms_pending_journal_transactions",
            "Acknowledged transactions kept in the pending journal on disk until they commit or are refused.");
        PendingJournalDamaged = f.CreateCounter("dkms_pending_journal_damaged_total",
            "Pending-journal entries found undecodable at start and deleted (an acknowledged transaction may be lost; see the log).");
        AdmissionQueue = f.CreateGauge("dkms_admission_queue_transactions", "Transactions submitted in async mode and not yet admitted.");
        SignatureChecks = f.CreateCounter("dkms_signature_checks_total",
            "Transactions whose signatures this node verified (once per transaction unless the signature cache evicted it).");
        Peers = f.CreateGauge("dkms_peers", "Connected, authenticated validator peers.");
        TransactionsCommitted = f.CreateCounter("dkms_transactions_committed_total", "Transactions in committed blocks.");
        TransactionsRejected = f.CreateCounter("dkms_transactions_rejected_total", "Transactions refused on admission through this node's RPC.");
        BlocksCommitted = f.CreateCounter("dkms_blocks_committed_total", "Blocks committed.");
        ConsensusDropped = f.CreateCounter("dkms_consensus_dropped_messages_total",
            "Consensus messages dropped at intake, by reason (malformed, bad_signature, tampered_block, out_of_window, duplicate, ...).",
            new CounterConfiguration { LabelNames = ["reason"] });
        ConsensusFaults = f.CreateCounter("dkms_consensus_contained_faults_total",
            "Consensus events whose handling threw and was contained (the loop went on); non-zero is a bug worth reporting.");
        ConsensusBuffered = f.CreateGauge("dkms_consensus_buffered_messages", "Authentic consensus messages of future heights held for replay (bounded per peer).");
        Equivocations = f.CreateCounter("dkms_consensus_equivocations_total", "Conflicting votes by one validator detected (evidence logged).");
        CommitLatency = f.CreateHistogram("dkms_commit_latency_seconds", "From the block's timestamp (proposal) to its commit on this node.",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.005, 2, 12) });
    }

    public CollectorRegistry Registry { get; }
    public Gauge Height { get; }
    public Gauge Round { get; }
    public Gauge MempoolTransactions { get; }
    public Gauge MempoolBytes { get; }
    public Gauge MempoolOrphans { get; }
    public Gauge AdmissionQueue { get; }
    public Gauge PendingJournal { get; }
    public Counter PendingJournalDamaged { get; }
    public Counter SignatureChecks { get; }
    public Gauge Peers { get; }
    public Counter TransactionsCommitted { get; }
    public Counter TransactionsRejected { get; }
    public Counter BlocksCommitted { get; }
    public Histogram CommitLatency { get; }
    public Counter ConsensusDropped { get; }
    public Counter ConsensusFaults { get; }
    public Gauge ConsensusBuffered { get; }
    public Counter Equivocations { get; }

    internal void OnDropped(Dkms.Consensus.DropReason reason) => ConsensusDropped.WithLabels(DropLabels[(int)reason]).Inc();

    private static readonly string[] DropLabels = Enum.GetValues<Dkms.Consensus.DropReason>()
        .Select(r => System.Text.RegularExpressions.Regex.Replace(r.ToString(), "(?<=[a-z])([A-Z])", "_$1").ToLowerInvariant()).ToArray();

    internal void OnCommit(Block block, int transactions, long nowMs)
    {
        BlocksCommitted.Inc();
        TransactionsCommitted.Inc(transactions);
        CommitLatency.Observe(Math.Max(0, nowMs - block.Header.TimestampMs) / 1000.0);
    }
}
