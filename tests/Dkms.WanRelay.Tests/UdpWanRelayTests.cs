using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Dkms.WanRelay.Tests;

/// <summary>The relay over real loopback sockets: two stand-in nodes, each a UDP socket, talk through it.</summary>
public sealed class UdpWanRelayTests
{
    private static readonly IPEndPoint AnyLoopback = new(IPAddress.Loopback, 0);

    private static Socket Udp()
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        s.Bind(AnyLoopback);
        return s;
    }

    private static WanProfile TwoRegions(double rttMs, double loss = 0, Partition[]? partitions = null) => new()
    {
        Seed = 7,
        NodeRegions = ["eu", "us"],
        RttMs = new() { ["eu-us"] = rttMs },
        Loss = loss,
        Partitions = partitions ?? [],
    };

    private sealed class Pair : IDisposable
    {
        public Pair(WanProfile profile)
        {
            Node0 = Udp();
            Node1 = Udp();
            Relay = new UdpWanRelay(profile, [new RelayedNode((IPEndPoint)Node0.LocalEndPoint!, AnyLoopback), new RelayedNode((IPEndPoint)Node1.LocalEndPoint!, AnyLoopback)]);
            Relay.Start();
        }

        public Socket Node0 { get; }
        public Socket Node1 { get; }
        public UdpWanRelay Relay { get; }

        public void Dispose()
        {
            Relay.Dispose();
            Node0.Dispose();
            Node1.Dispose();
        }
    }

    private static async Task<(byte[] Data, IPEndPoint From)?> ReceiveAsync(Socket s, TimeSpan within)
    {
        var buffer = new byte[2048];
        using var cts = new CancellationTokenSource(within);
        try
        {
            var r = await s.ReceiveFromAsync(buffer, SocketFlags.None, AnyLoopback, cts.Token);
            return (buffer[..r.ReceivedBytes], (IPEndPoint)r.RemoteEndPoint);
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    [Fact]
    public async Task A_packet_and_its_answer_each_take_at_least_half_the_round_trip_and_the_answer_comes_from_the_address_dialled()
    {
        using var pair = new Pair(TwoRegions(rttMs: 80));
        var sent = Stopwatch.GetTimestamp();
        await pair.Node1.SendToAsync(new byte[] { 1, 2, 3 }, pair.Relay.RelayOf(0));

        var request = await ReceiveAsync(pair.Node0, TimeSpan.FromSeconds(10));
        var oneWay = Stopwatch.GetElapsedTime(sent);
        Assert.NotNull(request);
        Assert.Equal(new byte[] { 1, 2, 3 }, request.Value.Data);
        Assert.True(oneWay >= TimeSpan.FromMilliseconds(40), $"delivered after {oneWay.TotalMilliseconds} ms");
        Assert.NotEqual(pair.Node1.LocalEndPoint, request.Value.From); // node 0 sees the relay's socket for node 1

        var answered = Stopwatch.GetTimestamp();
        await pair.Node0.SendToAsync(new byte[] { 9 }, request.Value.From);
        var answer = await ReceiveAsync(pair.Node1, TimeSpan.FromSeconds(10));
        var back = Stopwatch.GetElapsedTime(answered);
        Assert.NotNull(answer);
        Assert.Equal(new byte[] { 9 }, answer.Value.Data);
        Assert.Equal(pair.Relay.RelayOf(0), answer.Value.From);
        Assert.True(back >= TimeSpan.FromMilliseconds(40), $"answered after {back.TotalMilliseconds} ms");
    }

    [Fact]
    public async Task Loss_drops_about_its_share_of_packets_and_counts_them()
    {
        using var pair = new Pair(TwoRegions(rttMs: 0, loss: 0.3));
        const int n = 400;
        // Received while sent: a socket's receive buffer holds only a few hundred tiny datagrams, and what it drops is
        // not what is tested.
        var receiving = Task.Run(async () =>
        {
            var count = 0;
            while (await ReceiveAsync(pair.Node0, TimeSpan.FromSeconds(2)) is not null) count++;
            return count;
        });
        for (var i = 0; i < n; i++)
        {
            await pair.Node1.SendToAsync(BitConverter.GetBytes(i), pair.Relay.RelayOf(0));
            if (i % 20 == 19) await Task.Delay(2);
        }

        var received = await receiving;

        var (forwarded, lost, _, _) = pair.Relay.Counts;
        Assert.Equal(n, forwarded + lost);
        Assert.Equal(forwarded, received);
        Assert.InRange(lost, n * 0.2, n * 0.4);
    }

    [Fact]
    public async Task During_a_partition_nothing_crosses_between_its_groups()
    {
        var cut = new Partition { AtSeconds = 0, ForSeconds = 3600, Groups = [["eu"], ["us"]] };
        using var pair = new Pair(TwoRegions(rttMs: 0, partitions: [cut]));
        for (var i = 0; i < 20; i++) await pair.Node1.SendToAsync(new byte[] { (byte)i }, pair.Relay.RelayOf(0));

        Assert.Null(await ReceiveAsync(pair.Node0, TimeSpan.FromMilliseconds(500)));
        Assert.Equal(20, pair.Relay.Counts.Cut);
    }

    [Fact]
    public async Task A_sender_that_is_no_node_is_relayed_under_local_conditions_and_counted()
    {
        using var pair = new Pair(TwoRegions(rttMs: 0));
        using var stranger = Udp();
        await stranger.SendToAsync(new byte[] { 5 }, pair.Relay.RelayOf(0));

        var got = await ReceiveAsync(pair.Node0, TimeSpan.FromSeconds(10));
        Assert.NotNull(got);
        Assert.Equal(1, pair.Relay.Counts.Unknown);
    }
}
