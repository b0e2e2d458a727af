using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Time.Testing;

namespace Dkms.Network.Tests;

/// <summary>Peer addresses given as host names: resolution never holds up the network thread.</summary>
public sealed class ResolutionTests
{
    private const string NamedHost = "named.example";
    private const string StuckHost = "stuck.example";

    [Fact]
    public void A_peer_name_whose_nameserver_never_answers_does_not_stall_the_other_sessions()
    {
        using var net = new TestNet(5);
        using var release = new CancellationTokenSource();
        var stuckCalls = 0;

        async Task<IPAddress[]> Resolver(string host, CancellationToken ct)
        {
            if (host == NamedHost) return [IPAddress.Loopback];
            if (host != StuckHost) throw new SocketException((int)SocketError.HostNotFound);
            Interlocked.Increment(ref stuckCalls);
            using var either = CancellationTokenSource.CreateLinkedTokenSource(ct, release.Token);
            await Task.Delay(Timeout.Infinite, either.Token).ContinueWith(_ => { }, TaskScheduler.Default);
            throw new SocketException((int)SocketError.TryAgain);
        }

        // Validator 3 is known by a name that resolves; validator 4 (never started) by one that hangs.
        var named = net.Validators.Select((v, i) => i switch
        {
            3 => v with { Address = $"{NamedHost}:{Endpoints.Parse(v.Address).Port}" },
            4 => v with { Address = $"{StuckHost}:{Endpoints.Parse(v.Address).Port}" },
            _ => v,
        }).ToArray();
        var first = named.Take(4).ToArray();
        var nodes = Enumerable.Range(0, 4)
            .Select(i => net.Start(i, o => o with { Validators = first, Resolver = Resolver, ResolveTimeout = TimeSpan.FromSeconds(1) }))
            .ToList();
        try
        {
            net.WaitFullyConnected(nodes);

            // A committed SetValidators adds the stuck name; every node's network thread would wait on it.
            foreach (var n in nodes) n.Network.UpdatePeers(named);
            Eventually.True(() => Volatile.Read(ref stuckCalls) > 0, "the stuck name was looked up");

            var clock = Stopwatch.StartNew();
            for (byte round = 1; clock.Elapsed < TimeSpan.FromSeconds(3); round++)
            {
                foreach (var n in nodes) n.Network.Broadcast(PeerChannel.Consensus, [round]);
                Eventually.True(
                    () => nodes.All(to => nodes.All(from => from == to || to.Inbox.From(from.PublicKey, PeerChannel.Consensus).Count >= round)),
                    $"round {round} reached every node while the name hangs", TimeSpan.FromSeconds(2));
            }
        }
        finally
        {
            release.Cancel();
        }
    }

    [Fact]
    public void A_lookup_that_hangs_is_given_up_when_the_resolve_timeout_has_passed_on_the_networks_clock()
    {
        var clock = new FakeTimeProvider();
        using var net = new TestNet(2, time: clock);
        var timeout = TimeSpan.FromHours(1); // far beyond the test's real duration: only the injected clock can reach it
        var lookups = 0;

        async Task<IPAddress[]> Hanging(string host, CancellationToken ct)
        {
            Interlocked.Increment(ref lookups);
            await Task.Delay(Timeout.Infinite, ct).ConfigureAwait(false);
            return [];
        }

        var port = Endpoints.Parse(net.Validators[1].Address).Port;
        var node = net.Start(0, o => o with
        {
            Validators = [o.Validators[0], o.Validators[1] with { Address = $"{StuckHost}:{port}" }],
            Resolver = Hanging,
            ResolveTimeout = timeout,
        });
        Eventually.True(() => Volatile.Read(ref lookups) == 1, "the name was looked up");
        bool GaveUp() => node.Log.Lines.Any(l => l.Message.Contains("no answer in time", StringComparison.Ordinal));

        clock.Advance(timeout - TimeSpan.FromMilliseconds(50));
        Eventually.Never(GaveUp, "the lookup was given up before its timeout", TimeSpan.FromMilliseconds(300));
        clock.Advance(TimeSpan.FromMilliseconds(50));
        Eventually.True(GaveUp, "the lookup was given up at its timeout");
    }
}
