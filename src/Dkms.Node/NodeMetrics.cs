using Dkms.Core.Blocks;
using Dkms.Node.Consensus;
using Prometheus;

namespace Dkms.Node;

/// <summary>
/// The node's Prometheus metrics, in a registry of its own (several nodes may share a process in tests).
/// Gauges that mirror state (height, round, mempool, peers) are read when scraped.
/// </summary>
public sealed class NodeMetrics : Mempool.Admission.IAdmissionMetrics
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
        AdmissionRejected = f.CreateCounter("dkms_admission_rejected_total",
            "Transactions admission did not insert, by the filter that stopped them: shape, duplicate (already pending or its slot taken), "
            + "capacity (mempool full), signature, waiting (too far ahead, too many waiting), rules (the ledger's verdict, or already committed), "
            + "queue (the admission writer's queue was full).",
            new CounterConfiguration { LabelNames = ["filter"] });
        foreach (var filter in Mempool.Admission.AdmissionPipeline.FilterNames.Append("queue")) AdmissionRejected.WithLabels(filter);
        AdmissionAccepted = f.CreateCounter("dkms_admission_accepted_total", "Transactions admission inserted into the mempool (all sources).");
        AdmissionQueueDepth = f.CreateGauge("dkms_admission_queue_depth",
            "Transactions waiting for the admission writer: RPC sync and async submissions and gossiped batches.");
        AdmissionQueue = f.CreateGauge("dkms_admission_queue_transactions", "Transactions submitted in async mode and not yet admitted.");
        SignatureChecks = f.CreateCounter("dkms_signature_checks_total",
            "Transactions whose signatures this node verified (once per transaction unless the signature cache evicted it).");
        Peers = f.CreateGauge("dkms_peers", "Connected, authenticated validator peers.");
        Observers = f.CreateGauge("dkms_observers", "Observer sessions at this node (at most P2P:MaxObservers).");
        ObserversRefused = f.CreateCounter("dkms_p2p_observers_refused_total",
            "Observer sessions refused because every observer place (P2P:MaxObservers) was taken.");
        TransactionsCommitted = f.CreateCounter("dkms_transactions_committed_total", "Transactions in committed blocks.");
        TransactionsRejected = f.CreateCounter("dkms_transactions_rejected_total", "Transactions refused on admission through this node's RPC.");
        BlocksCommitted = f.CreateCounter("dkms_blocks_committed_total", "Blocks committed.");
        ConsensusDropped = f.CreateCounter("dkms_consensus_dropped_messages_total",
            "Consensus messages dropped at intake, by reason (malformed, bad_signature, tampered_block, out_of_window, duplicate, ...).",
            new CounterConfiguration { LabelNames = ["reason"] });
        ConsensusFaults = f.CreateCounter("dkms_consensus_contained_faults_total",
            "Consensus events whose handling threw and was contained (the loop went on); non-zero is a bug worth reporting.");
        ConsensusBuffered = f.CreateGauge("dkms_consensus_buffered_messages", "Authentic consensus messages of future heights held for replay (bounded per peer).");
        CatchUpHeldBlocks = f.CreateGauge("dkms_catchup_held_blocks", "Catch-up answers held for later heights, checked when their height comes (bounded by count and bytes).");
        CatchUpHeldBytes = f.CreateGauge("dkms_catchup_held_bytes", "Estimated bytes of the catch-up answers held for later heights.");
        CatchUpFetchedAhead = f.CreateCounter("dkms_catchup_blocks_fetched_ahead_total", "Blocks taken that answered a catch-up request made ahead of their height.");
        Equivocations = f.CreateCounter("dkms_consensus_equivocations_total", "Conflicting votes by one validator detected (evidence logged).");
        P2PRefused = f.CreateCounter("dkms_p2p_refused_total",
            "P2P connections or handshakes refused (not a validator, wrong protocol, admission limits, handshake timeouts); logged rate-limited.");
        P2PMalformedPackets = f.CreateCounter("dkms_p2p_malformed_packets_total",
            "P2P datagrams or frames that did not decode: garbage LiteNetLib could not parse, non-handshake packets before a session, bad frames.");
        P2PTransportErrors = f.CreateCounter("dkms_p2p_transport_errors_total",
            "P2P transport faults by kind: socket (socket errors), litenetlib (other LiteNetLib errors), tampered (packets that broke a session).",
            new CounterConfiguration { LabelNames = ["kind"] });
        RpcClientErrors = f.CreateCounter("dkms_rpc_client_errors_total",
            "RPC requests failed or refused by the client's doing, by kind: slow_body, aborted, bad_request, too_large, bad_http, parse_error, "
            + "content_type, unauthorized, rate_limited, connection_limit.",
            new CounterConfiguration { LabelNames = ["kind"] });
        RpcConnections = f.CreateGauge("dkms_rpc_connections", "Open RPC connections (at most Rpc:MaxConnections).");
        LoopUp = f.CreateGauge("dkms_loop_up", "1 while a background loop runs, 0 once it stopped or failed (see /health for its last error).",
            new GaugeConfiguration { LabelNames = ["loop"] });
        LoopFailures = f.CreateCounter("dkms_loop_failures_total", "Background loops that failed (the node then stops), by loop.",
            new CounterConfiguration { LabelNames = ["loop"] });
        Step = f.CreateGauge("dkms_consensus_step", "Step of the current round: 0 propose, 1 prevote, 2 precommit.");
        Consensus = new PrometheusConsensusMetrics(f);
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
    public Counter AdmissionRejected { get; }
    public Counter AdmissionAccepted { get; }
    public Gauge AdmissionQueueDepth { get; }

    void Mempool.Admission.IAdmissionMetrics.Stopped(string filter, int count) => AdmissionRejected.WithLabels(filter).Inc(count);

    void Mempool.Admission.IAdmissionMetrics.Admitted() => AdmissionAccepted.Inc();

    void Mempool.Admission.IAdmissionMetrics.QueueDepth(int transactions) => AdmissionQueueDepth.Set(transactions);
    public Gauge PendingJournal { get; }
    public Counter PendingJournalDamaged { get; }
    public Counter SignatureChecks { get; }
    public Gauge Peers { get; }
    public Gauge Observers { get; }
    public Counter ObserversRefused { get; }
    public Counter TransactionsCommitted { get; }
    public Counter TransactionsRejected { get; }
    public Counter BlocksCommitted { get; }
    public Histogram CommitLatency { get; }
    public Counter ConsensusDropped { get; }
    public Counter ConsensusFaults { get; }
    public Gauge ConsensusBuffered { get; }
    public Gauge CatchUpHeldBlocks { get; }
    public Gauge CatchUpHeldBytes { get; }
    public Counter CatchUpFetchedAhead { get; }
    public Counter Equivocations { get; }
    public Counter P2PRefused { get; }
    public Counter P2PMalformedPackets { get; }
    public Counter P2PTransportErrors { get; }
    public Counter RpcClientErrors { get; }
    public Gauge RpcConnections { get; }
    public Gauge Step { get; }

    /// <summary>What the consensus driver reports (step and round durations, rounds per height, late and duplicate votes,
    /// peers' heights), given to the engine.</summary>
    public PrometheusConsensusMetrics Consensus { get; }
    public Gauge LoopUp { get; }
    public Counter LoopFailures { get; }

    /// <summary>The transport's counters, read at each scrape (null without a LiteNetLib link).</summary>
    internal Dkms.Network.PeerNetworkStats? Transport { get; set; }

    /// <summary>The RPC's client faults, read at each scrape.</summary>
    internal Rpc.RpcClientFaults? RpcFaults { get; set; }

    /// <summary>The RPC's connection count, read at each scrape.</summary>
    internal Rpc.RpcLimits? RpcLimits { get; set; }
    /// <summary>Sets the gauges that mirror state from the node's published status; called before a scrape.</summary>
    internal void ReadStatus(Status.NodeStatusSnapshot s)
    {
        Height.Set(s.Ledger.Height);
        Round.Set(s.Consensus.Round);
        Step.Set((int)s.Consensus.Step);
        MempoolTransactions.Set(s.Pool.Transactions);
        MempoolBytes.Set(s.Pool.Bytes);
        MempoolOrphans.Set(s.Pool.Orphans);
        AdmissionQueue.Set(s.Pool.AdmissionQueue);
        PendingJournal.Set(s.Pool.PendingJournal);
        SignatureChecks.IncTo(s.Pool.SignatureChecks);
        Peers.Set(s.Peers.Count);
        Observers.Set(s.Observers?.Count ?? 0);
        ConsensusBuffered.Set(s.Consensus.BufferedMessages);
        CatchUpHeldBlocks.Set(s.Consensus.HeldBlocks);
        CatchUpHeldBytes.Set(s.Consensus.HeldBlockBytes);
        CatchUpFetchedAhead.IncTo(s.Consensus.BlocksFetchedAhead);
    }

    /// <summary>Copies the counters kept by the transport and the RPC into the registry; called before a scrape.</summary>
    internal void ReadOutsiderCounters()
    {
        if (Transport is { } t)
        {
            P2PRefused.IncTo(t.RefusedHandshakes + t.HandshakeTimeouts);
            ObserversRefused.IncTo(t.ObserversRefused);
            // LiteNetLib's counts are the process's: one node per process outside tests.
            P2PMalformedPackets.IncTo(Dkms.Network.LiteNetLibLog.BadPackets + t.MalformedDropped + t.PreAuthOversizedDropped);
            P2PTransportErrors.WithLabels("socket").IncTo(t.SocketErrors + Dkms.Network.LiteNetLibLog.SocketErrors);
            P2PTransportErrors.WithLabels("litenetlib").IncTo(Dkms.Network.LiteNetLibLog.OtherErrors);
            P2PTransportErrors.WithLabels("tampered").IncTo(t.ForgedDropped + t.ReplayedDropped + t.ReorderedDropped);
        }

        if (RpcFaults is { } r)
        {
            foreach (var kind in Rpc.RpcClientFaults.Kinds) RpcClientErrors.WithLabels(kind).IncTo(r.Count(kind));
        }

        if (RpcLimits is { } l) RpcConnections.Set(l.OpenConnections);
    }

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
