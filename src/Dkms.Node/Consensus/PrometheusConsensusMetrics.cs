using Dkms.Consensus;
using Dkms.Core.Primitives;
using Prometheus;

namespace Dkms.Node.Consensus;

/// <summary>The consensus driver's measurements (<see cref="IConsensusMetrics"/>) as Prometheus series. Called on the
/// consensus loop; prometheus-net's collectors are thread-safe for the scrape.</summary>
public sealed class PrometheusConsensusMetrics : IConsensusMetrics
{
    private static readonly string[] StepLabels = [.. Enum.GetValues<Step>().Select(s => s.ToString().ToLowerInvariant())];

    private readonly Histogram _stepDuration;
    private readonly Histogram _roundDuration;
    private readonly Histogram _roundsPerHeight;
    private readonly Counter _lateVotes;
    private readonly Counter _duplicateVotes;
    private readonly Gauge _peerHeight;
    private readonly Histogram _proposalBytes;
    private readonly Gauge _transferCap;
    private readonly Gauge _transferRate;
    private readonly Counter _proposalsMissed;

    public PrometheusConsensusMetrics(IMetricFactory f)
    {
        _stepDuration = f.CreateHistogram("dkms_consensus_step_duration_seconds", "Time spent in each step of a round (propose, prevote, precommit).",
            new HistogramConfiguration { LabelNames = ["step"], Buckets = Histogram.ExponentialBuckets(0.001, 2, 14) });
        _roundDuration = f.CreateHistogram("dkms_consensus_round_duration_seconds", "Time from a round's start to the next round or the commit.",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.001, 2, 14) });
        _roundsPerHeight = f.CreateHistogram("dkms_consensus_rounds_per_height", "Rounds a height took to decide (1: decided in round 0).",
            new HistogramConfiguration { Buckets = [1, 2, 3, 4, 6, 10] });
        _lateVotes = f.CreateCounter("dkms_consensus_late_votes_total", "Votes received for a height this node passed, or an earlier round of its height.");
        _duplicateVotes = f.CreateCounter("dkms_consensus_duplicate_votes_total", "Votes received that this node already held (re-broadcasts).");
        _peerHeight = f.CreateGauge("dkms_consensus_peer_height", "Highest height each validator peer was seen working at (its proposals, votes, block requests).",
            new GaugeConfiguration { LabelNames = ["peer"] });
        _proposalBytes = f.CreateHistogram("dkms_consensus_proposal_bytes", "Size of each proposal this node sent (encoded, with its block).",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(1024, 4, 8) });
        _transferCap = f.CreateGauge("dkms_consensus_proposal_transfer_cap_bytes", "Byte cap the transfer pace set on the last block this node proposed (the block limit while not engaged).");
        _transferRate = f.CreateGauge("dkms_consensus_transfer_rate_bytes_per_second", "Measured rate at which this node's proposals reach a quorum (0: the transfer pace is not engaged).");
        _proposalsMissed = f.CreateCounter("dkms_consensus_proposals_missed_total", "Proposals of this node (above the transfer floor) that missed their round without a prevote quorum.");
    }

    public void StepEnded(Step step, TimeSpan duration) => _stepDuration.WithLabels(StepLabels[(int)step]).Observe(duration.TotalSeconds);

    public void RoundEnded(TimeSpan duration) => _roundDuration.Observe(duration.TotalSeconds);

    public void HeightDecided(ulong height, int rounds) => _roundsPerHeight.Observe(rounds);

    public void LateVote() => _lateVotes.Inc();

    public void DuplicateVote() => _duplicateVotes.Inc();

    public void ProposalSent(int bytes, int capBytes, double bytesPerSecond, long missed)
    {
        _proposalBytes.Observe(bytes);
        _transferCap.Set(capBytes);
        _transferRate.Set(bytesPerSecond);
        _proposalsMissed.IncTo(missed);
    }

    // The key's first 16 hex digits: enough to tell validators apart, short in dashboards.
    public void PeerHeight(PublicKey peer, ulong height) => _peerHeight.WithLabels(peer.ToHex()[..16]).Set(height);
}
