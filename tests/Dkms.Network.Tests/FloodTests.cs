using System.Diagnostics;
using System.Net;
using Dkms.Adversary.OffPath;
using Microsoft.Extensions.Logging;

namespace Dkms.Network.Tests;

/// <summary>Anyone who can reach the P2P port floods it with connections and broken handshakes.</summary>
public sealed class FloodTests
{
    /// <summary>Flooding sources: 127.0.0.2 to 127.0.0.33 (the validators use 127.0.0.1).</summary>
    private static readonly IReadOnlyList<IPAddress> Sources = ConnectFlooder.LoopbackSources(32);

    /// <summary>Port 1 on loopback refuses at once.</summary>
    private const string Unreachable = "127.0.0.1:1";

    [Fact]
    public void Validators_keep_connecting_and_talking_while_many_sources_flood_them()
    {
        using var net = new TestNet(2);
        // a never dials b, so every session has to come in through a's connection admission, flood or not.
        // A short handshake timeout churns the flood's pending places, so the junk handshakers get some of them.
        var a = net.Start(0, o => o with
        {
            Validators = [o.Validators[0], o.Validators[1] with { Address = Unreachable }],
            HandshakeTimeout = TimeSpan.FromSeconds(1),
        });
        var b = net.Start(1);
        net.WaitFullyConnected();
        var clock = Stopwatch.StartNew();
        int[] ports = [a.Network.ListenPort, b.Network.ListenPort];
        using var flood = new ConnectFlooder(ports, Sources, portsPerSource: 4, perSecond: 250, seed: 16);
        using var junk = new JunkHandshakers(ports, Sources, workers: 3, seed: 17);
        Eventually.True(() => a.Network.Stats.RefusedPendingTotal + a.Network.Stats.RefusedRateTotal > 50, "the flood reached a's limits for all addresses");
        Eventually.True(() => junk.Connected > 5, "junk handshakes got connections");

        for (var round = 0; round < 3; round++)
        {
            // A fresh session has to be made while the flood runs: b restarts.
            b.Network.Dispose();
            net.Nodes.Remove(b);
            Eventually.True(() => !a.Network.ConnectedPeers.Contains(b.PublicKey), "a saw b leave");
            b = net.Start(1);
            net.WaitFullyConnected();

            a.Network.Send(b.PublicKey, PeerChannel.Consensus, [(byte)round]);
            b.Network.Send(a.PublicKey, PeerChannel.Consensus, [(byte)round]);
            var bNow = b;
            Eventually.True(() => bNow.Inbox.Count == 1 && a.Inbox.From(bNow.PublicKey, PeerChannel.Consensus).Count == round + 1,
                $"round {round}: messages both ways");
        }

        Assert.True(flood.Sent > 100, $"the flood sent {flood.Sent} connection requests");
        var warnings = a.Log.Lines.Count(l => l.Level >= LogLevel.Warning);
        // A few refusals one by one and one summary per interval, plus the few about the validators themselves.
        var intervals = (int)(clock.Elapsed / RefusalLog.Interval) + 1;
        Assert.True(warnings <= (RefusalLog.DetailedPerInterval + 1) * intervals + 10, $"{warnings} warning lines in {clock.Elapsed}");
        var stats = a.Network.Stats;
        Assert.True(stats.RefusedPendingFromSource + stats.RefusedRateFromSource + stats.RefusedPendingTotal + stats.RefusedRateTotal > 50,
            "the admission limits refused the flood");
    }

    [Fact]
    public void One_flooding_address_gets_only_its_own_few_places_and_other_addresses_still_connect()
    {
        using var net = new TestNet(1);
        var a = net.Start(0);
        using var flood = new ConnectFlooder([a.Network.ListenPort], [IPAddress.Parse("127.0.0.2")], portsPerSource: 64,
            perSecond: 1_000, seed: 18);
        Eventually.True(() => a.Network.Stats.RefusedPendingFromSource + a.Network.Stats.RefusedRateFromSource > 20,
            "the flooding address was held to its limits");

        using var other = new RawPeer(a.Network.ListenPort, bind: IPAddress.Parse("127.0.0.3"));
        Eventually.True(() => other.WasConnected, "another address still got a place");
        Assert.Equal(0, a.Network.Stats.RefusedPendingTotal + a.Network.Stats.RefusedRateTotal);
    }
}
