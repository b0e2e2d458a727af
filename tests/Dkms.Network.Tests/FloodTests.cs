using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.Logging;

namespace Dkms.Network.Tests;

/// <summary>Anyone who can reach the P2P port floods it with connections and broken handshakes.</summary>
public sealed class FloodTests
{
    /// <summary>Flooding sources: 127.0.0.2 to 127.0.0.33 (the validators use 127.0.0.1).</summary>
    private static readonly IReadOnlyList<IPAddress> Sources = [.. Enumerable.Range(2, 32).Select(i => IPAddress.Parse($"127.0.0.{i}"))];

    /// <summary>Port 1 on loopback refuses at once.</summary>
    private const string Unreachable = "127.0.0.1:1";

    [Fact]
    public void Validators_keep_connecting_and_talking_while_many_sources_flood_them()
    {
        using var net = new TestNet(2);
        // a never dials b, so every session has to come in through a's connection admission, flood or not.
        var a = net.Start(0, o => o with { Validators = [o.Validators[0], o.Validators[1] with { Address = Unreachable }] });
        var b = net.Start(1);
        net.WaitFullyConnected();
        var clock = Stopwatch.StartNew();
        int[] ports = [a.Network.ListenPort, b.Network.ListenPort];
        using var flood = new ConnectFlooder(ports, Sources, portsPerSource: 4, interval: TimeSpan.FromMilliseconds(2), seed: 16);
        using var garbage = new GarbageHandshakers(ports, Sources, workers: 3, seed: 17);
        Thread.Sleep(1500); // long enough to fill every pending-handshake table

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

        Assert.True(flood.Sent > 1000, $"the flood sent {flood.Sent} connection requests");
        Assert.True(a.Network.Stats.RefusedHandshakes > 100, $"the flood kept a at its limits ({a.Network.Stats.RefusedHandshakes} refusals)");
        Assert.True(garbage.Connected > 5, $"{garbage.Connected} garbage handshakes got a connection");
        var warnings = a.Log.Lines.Count(l => l.Level >= LogLevel.Warning);
        // At most one line per source and interval, plus the few about the validators themselves.
        var intervals = (int)(clock.Elapsed / TimeSpan.FromSeconds(10)) + 1;
        Assert.True(warnings <= (Sources.Count + 1) * intervals + 10, $"{warnings} warning lines in {clock.Elapsed}");
    }

    /// <summary>
    /// LiteNetLib clients from the flooding sources that connect and then send junk: random bytes, a Hello of
    /// another version, a Hello followed by a forged Auth, a batch before any handshake, or nothing.
    /// </summary>
    private sealed class GarbageHandshakers : IDisposable
    {
        private readonly Thread[] _threads;
        private volatile bool _stop;
        private int _connected;

        public GarbageHandshakers(int[] ports, IReadOnlyList<IPAddress> sources, int workers, int seed)
        {
            _threads = [.. Enumerable.Range(0, workers).Select(w => new Thread(() => Run(ports, sources, new Random(seed + w))) { IsBackground = true })];
            foreach (var t in _threads) t.Start();
        }

        public int Connected => Volatile.Read(ref _connected);

        public void Dispose()
        {
            _stop = true;
            foreach (var t in _threads) t.Join();
        }

        private void Run(int[] ports, IReadOnlyList<IPAddress> sources, Random random)
        {
            while (!_stop)
            {
                using var raw = new RawPeer(ports[random.Next(ports.Length)], bind: sources[random.Next(sources.Count)]);
                var clock = Stopwatch.StartNew();
                while (!raw.Connected && !raw.Disconnected && clock.ElapsedMilliseconds < 1000) Thread.Sleep(5);
                if (!raw.Connected) continue;
                Interlocked.Increment(ref _connected);
                foreach (var packet in Junk(random)) raw.Send(packet);
                while (!raw.Disconnected && clock.ElapsedMilliseconds < 1300) Thread.Sleep(5);
            }
        }

        private static IEnumerable<byte[]> Junk(Random random)
        {
            byte[] Bytes(int n)
            {
                var b = new byte[n];
                random.NextBytes(b);
                return b;
            }

            switch (random.Next(5))
            {
                case 0:
                    yield return Bytes(1 + random.Next(200));
                    break;
                case 1:
                    var hello = Handshake.EncodeHello(Handshake.NewNonce());
                    hello[1] ^= 0x7F;
                    yield return hello;
                    break;
                case 2:
                    yield return Handshake.EncodeHello(Handshake.NewNonce());
                    var auth = Bytes(Handshake.AuthSize);
                    auth[0] = Wire.Auth;
                    yield return auth;
                    break;
                case 3:
                    yield return [Wire.Batch, .. Bytes(random.Next(64))];
                    break;
                default:
                    break; // silent until the timeout
            }
        }
    }
}
