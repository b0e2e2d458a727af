using Dkms.Core.Blocks;
using Dkms.Core.Primitives;

namespace Dkms.Consensus.Tests;

/// <summary>Issue 18 item 8: the driver reports what consensus does to an injected metrics sink, and publishes its state
/// as an immutable record; measured with the fake clock, so durations are exact.</summary>
public sealed class ConsensusMetricsTests
{
    private sealed class RecordingMetrics : IConsensusMetrics
    {
        public List<(Step Step, TimeSpan Duration)> Steps { get; } = [];
        public List<TimeSpan> Rounds { get; } = [];
        public Dictionary<ulong, int> RoundsPerHeight { get; } = [];
        public int Late { get; private set; }
        public int Duplicates { get; private set; }
        public Dictionary<PublicKey, ulong> PeerHeights { get; } = [];

        public void StepEnded(Step step, TimeSpan duration) => Steps.Add((step, duration));
        public void RoundEnded(TimeSpan duration) => Rounds.Add(duration);
        public void HeightDecided(ulong height, int rounds) => RoundsPerHeight.Add(height, rounds);
        public void LateVote() => Late++;
        public void DuplicateVote() => Duplicates++;
        public void PeerHeight(PublicKey peer, ulong height) => PeerHeights[peer] = height;
    }

    [Fact]
    public void Heights_decided_in_round_zero_report_one_round_each_with_every_step_and_the_peers_heights()
    {
        using var net = new TestNet(4, seed: 11, start: false);
        var sink = new RecordingMetrics();
        net.MetricsOf = i => i == 0 ? sink : null;
        for (var i = 0; i < 4; i++) net.Start(i);
        var started = net.Time.GetTimestamp();

        Assert.True(net.RunUntilHeight(3, TimeSpan.FromSeconds(10)));

        Assert.Equal([1, 1], [sink.RoundsPerHeight[1], sink.RoundsPerHeight[2]]);
        Assert.Contains(sink.Steps, s => s.Step == Step.Propose);
        Assert.Contains(sink.Steps, s => s.Step == Step.Prevote);
        Assert.Contains(sink.Steps, s => s.Step == Step.Precommit);
        // Rounds follow each other: together they take no longer than the run on the fake clock.
        Assert.True(sink.Rounds.Aggregate(TimeSpan.Zero, (a, b) => a + b) <= net.Time.GetElapsedTime(started));
        Assert.Equal(net.Signers.Skip(1).Select(s => s.PublicKey).ToHashSet(), sink.PeerHeights.Keys.ToHashSet());
        Assert.All(sink.PeerHeights.Values, h => Assert.True(h >= 2));

        var status = net.Drivers[0]!.Status;
        Assert.Equal(net.Drivers[0]!.Machine.Height, status.Height);
        Assert.Equal(net.Drivers[0]!.Machine.Round, status.Round);
        Assert.Equal(sink.PeerHeights.Count, status.PeerHeights.Count);
    }

    [Fact]
    public void A_height_whose_first_proposer_is_down_reports_two_rounds_and_the_first_round_lasts_its_timeout()
    {
        using var net = new TestNet(4, seed: 12, start: false);
        var proposer = Array.FindIndex(net.Signers, s => s.PublicKey == net.Genesis.Proposer(1, 0));
        var observed = Enumerable.Range(0, 4).First(i => i != proposer);
        var sink = new RecordingMetrics();
        net.MetricsOf = i => i == observed ? sink : null;
        foreach (var i in Enumerable.Range(0, 4).Where(i => i != proposer)) net.Start(i);

        Assert.True(net.RunUntilHeight(1, TimeSpan.FromSeconds(30), nodes: Enumerable.Range(0, 4).Where(i => i != proposer)));

        Assert.Equal(2, sink.RoundsPerHeight[1]);
        Assert.True(sink.Rounds[0] >= TestNet.DefaultOptions.TimeoutPropose, $"round 0 took {sink.Rounds[0]}");
    }

    [Fact]
    public void A_vote_received_twice_counts_one_duplicate_and_a_vote_of_a_past_height_counts_late()
    {
        using var net = new TestNet(4, seed: 13, start: false);
        var sink = new RecordingMetrics();
        net.MetricsOf = i => i == 0 ? sink : null;
        for (var i = 0; i < 4; i++) net.Start(i);
        Assert.True(net.RunUntilHeight(2, TimeSpan.FromSeconds(10)));
        var driver = net.Drivers[0]!;
        var (lateBefore, duplicatesBefore) = (sink.Late, sink.Duplicates);

        var machine = driver.Machine;
        var vote = Vote.Create(net.Signers[1], TestNet.ChainId, VoteType.Prevote, machine.Height, machine.Round + 1, Hash32.Sha256("some block"u8));
        driver.Post(new VoteReceived(net.Signers[1].PublicKey, vote));
        driver.Post(new VoteReceived(net.Signers[1].PublicKey, vote));
        driver.Post(new VoteReceived(net.Signers[2].PublicKey,
            Vote.Create(net.Signers[2], TestNet.ChainId, VoteType.Prevote, 1, 0, Hash32.Sha256("an old block"u8))));

        Assert.Equal(1, sink.Duplicates - duplicatesBefore);
        Assert.Equal(1, sink.Late - lateBefore);
    }
}
