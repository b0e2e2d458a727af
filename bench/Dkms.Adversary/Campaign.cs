using System.Diagnostics;
using Dkms.Adversary.Fuzzing;
using Dkms.Consensus;
using Dkms.Core.Primitives;
using Dkms.Network;

namespace Dkms.Adversary;

/// <summary>
/// One attack: a loop on its own thread that reads what the honest validators sent, picks a generator by the
/// mode's weights (seeded), and sends what it made through the <see cref="AdversaryPeer"/>, paced to
/// <see cref="CampaignOptions.Rate"/>. It ends after <see cref="CampaignOptions.Messages"/> messages, at
/// <see cref="CampaignOptions.Duration"/>, on cancellation, or when no validator has accepted a session for
/// <see cref="CampaignOptions.DisconnectedTimeout"/>.
/// </summary>
public sealed partial class Campaign
{
    private readonly AdversaryPeer _peer;
    private readonly Forge _forge;
    private readonly CampaignOptions _options;
    private readonly Random _random;
    private readonly Mutator _mutator;
    private readonly (Strategy Strategy, int Weight)[] _weights;
    private readonly int _totalWeight;
    private readonly List<Outgoing> _out = [];
    private readonly LedgerReplica? _replica;
    private PublicKey[] _connected = [];

    /// <param name="replica">The adversary's copy of the chain; required by the modes that propose valid blocks
    /// (<see cref="AttackMode.Poison"/>, <see cref="AttackMode.BigBlock"/>).</param>
    public Campaign(AdversaryPeer peer, Forge forge, CampaignOptions options, LedgerReplica? replica = null)
    {
        if (replica is null && options.Mode is AttackMode.Poison or AttackMode.BigBlock)
        {
            throw new ArgumentException($"mode {options.Mode} proposes valid blocks and needs a ledger replica", nameof(replica));
        }

        if (options.Mode is AttackMode.Relay or AttackMode.ConnectFlood)
        {
            throw new ArgumentException($"mode {options.Mode} holds no validator seat: run it with OffPath.{options.Mode}Attack", nameof(options));
        }

        _peer = peer;
        _forge = forge;
        _options = options;
        _replica = replica;
        _random = new Random(options.Seed);
        _mutator = new Mutator(_random);
        _weights = WeightsOf(options.Mode);
        _totalWeight = _weights.Sum(w => w.Weight);
    }

    public CampaignReport Report { get; } = new();

    /// <summary>What the adversary has seen so far (read it only after the campaign ended: it is not thread-safe).</summary>
    public Observations Seen { get; } = new();

    /// <summary>Runs the campaign on a dedicated thread; completes with the report when it ends.</summary>
    public Task<CampaignReport> RunAsync(CancellationToken ct = default) =>
        Task.Factory.StartNew(() => Run(ct), ct, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private CampaignReport Run(CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var disconnectedSince = TimeSpan.Zero;
        var wasConnected = true;
        while (Report.Sent < _options.Messages && !ct.IsCancellationRequested)
        {
            // A duration is the caller's choice of when to stop, not an early end.
            if (_options.Duration is { } d && clock.Elapsed > d) break;

            Observe();
            // Sorted, so the seeded choices do not depend on the order sessions came up in.
            _connected = [.. _peer.Connected.Order()];
            if (_connected.Length == 0)
            {
                if (wasConnected) disconnectedSince = clock.Elapsed;
                wasConnected = false;
                if (clock.Elapsed - disconnectedSince > _options.DisconnectedTimeout)
                {
                    Report.StoppedEarly = $"no validator accepted a session for {_options.DisconnectedTimeout}";
                    break;
                }

                Thread.Sleep(10);
                continue;
            }

            wasConnected = true;
            if (UsesReplica) _replica!.RequestNext(_peer, _connected);
            _out.Clear();
            Generate(PickStrategy());
            if (_out.Count == 0)
            {
                Thread.Sleep(2); // a scenario waiting for its turn
                continue;
            }

            foreach (var o in _out)
            {
                if (Report.Sent >= _options.Messages || ct.IsCancellationRequested) break;
                Pace(clock);
                Send(o);
            }
        }

        Observe();
        Report.Elapsed = clock.Elapsed;
        Report.MessagesReceived = _peer.Received;
        return Report;
    }

    private bool UsesReplica => _options.Mode is AttackMode.Poison or AttackMode.BigBlock;

    private void Observe()
    {
        foreach (var m in _peer.DrainReceived())
        {
            var decoded = Seen.Add(m);
            if (UsesReplica && decoded is { Kind: MessageKind.BlockResponse }) _replica!.Offer(decoded.Block, decoded.Certificate);
        }
    }

    private void Pace(Stopwatch clock)
    {
        if (_options.Rate <= 0) return;
        var due = TimeSpan.FromSeconds((double)Report.Sent / _options.Rate);
        var ahead = due - clock.Elapsed;
        if (ahead > TimeSpan.FromMilliseconds(2)) Thread.Sleep(ahead);
    }

    private void Send(Outgoing o)
    {
        if (o.To is { } to)
        {
            SendOne(to, o);
            return;
        }

        foreach (var peer in _connected) SendOne(peer, o);
    }

    private void SendOne(PublicKey to, Outgoing o)
    {
        if (_peer.Send(to, o.Channel, o.Bytes)) Report.CountSent(o.Strategy, o.Bytes.Length);
        else Report.CountNotConnected();
    }

    private Strategy PickStrategy()
    {
        var x = _random.Next(_totalWeight);
        foreach (var (s, w) in _weights)
        {
            if (x < w) return s;
            x -= w;
        }

        return _weights[^1].Strategy;
    }

    /// <summary>Relative weights of the generators per mode (out of 10,000 for readability).</summary>
    private static (Strategy, int)[] WeightsOf(AttackMode mode) => mode switch
    {
        AttackMode.Flood =>
        [
            (Strategy.FutureFlood, 6_000), (Strategy.SignedVote, 2_000), (Strategy.Duplicate, 1_000), (Strategy.BlockRequest, 1_000),
        ],
        AttackMode.Replay =>
        [
            (Strategy.Relay, 5_000), (Strategy.Duplicate, 3_000), (Strategy.Reorder, 1_000), (Strategy.BlockRequest, 1_000),
        ],
        AttackMode.Malformed => [(Strategy.MalformedNested, 1)],
        AttackMode.FarFuture =>
        [
            (Strategy.FutureUnsigned, 6_000), (Strategy.FutureFlood, 1_500), (Strategy.DuplicateVotes, 500), (Strategy.Equivocation, 2_000),
        ],
        AttackMode.Poison => [(Strategy.PoisonTurn, 6_000), (Strategy.PoisonResponse, 3_000), (Strategy.AlteredRelay, 1_000)],
        AttackMode.BigBlock => [(Strategy.BigBlockTurn, 1)],
        _ =>
        [
            (Strategy.MalformedNested, 300), (Strategy.FutureUnsigned, 100), (Strategy.MutateObserved, 2_500), (Strategy.MutateForged, 1_500), (Strategy.SignedVote, 1_000), (Strategy.SignedProposal, 800),
            (Strategy.AlteredRelay, 800), (Strategy.UnsolicitedResponse, 600), (Strategy.Relay, 500), (Strategy.Duplicate, 300),
            (Strategy.Reorder, 300), (Strategy.BlockRequest, 300), (Strategy.Gossip, 600), (Strategy.FutureFlood, 300), (Strategy.Oversized, 1),
        ],
    };

    /// <summary>One message for one validator (<see cref="To"/>) or for every connected one (null).</summary>
    private sealed record Outgoing(Strategy Strategy, PeerChannel Channel, byte[] Bytes, PublicKey? To);
}
