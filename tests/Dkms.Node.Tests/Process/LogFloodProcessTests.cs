using System.Net;
using System.Net.Sockets;
using System.Text;
using Dkms.Client;
using Xunit.Abstractions;

namespace Dkms.Node.Tests.Process;

/// <summary>
/// An outsider with no key floods a <c>dkms-node</c> process on both ports — garbage UDP on P2P; aborted, slow,
/// malformed and badly encoded requests on RPC — and the node's log must not grow with the flood: every such line
/// is rate-limited (docs/security.md, "Log flooding") and the events are counted in the metrics instead.
/// </summary>
public sealed class LogFloodProcessTests(ITestOutputHelper output)
{
    /// <summary>Log bytes the flood may cause: a few lines per limiter and window, whatever the flood's size.</summary>
    private const int MaxLogBytes = 16 * 1024;

    /// <summary>
    /// Long enough for Kestrel's minimum body data rate (5 s grace) to cut the slow bodies and for a rate-limit window to
    /// end (10 s), so the summaries are part of what is measured.
    /// </summary>
    private static readonly TimeSpan FloodTime = TimeSpan.FromSeconds(12);

    [Fact]
    public async Task Garbage_on_both_ports_is_counted_in_the_metrics_and_does_not_fill_the_log()
    {
        using var net = new ProcessTestnet(1);
        net.Start(0);
        using var client = new DkmsRpcClient(net.RpcEndpoints[0]);
        await ProcessTestnetTests.WaitForPeersAsync([client], 0, net);
        await Task.Delay(500); // start-up lines are not part of the measure
        var before = net.Log(0).Length;

        var p2p = IPEndPoint.Parse(net.Genesis.Validators[0].Address);
        var rpc = new IPEndPoint(IPAddress.Loopback, net.RpcEndpoints[0].Port);
        using var stop = new CancellationTokenSource(FloodTime);
        var udp = Task.Run(() => GarbageUdp(p2p, stop.Token));
        var slow = Task.WhenAll(Enumerable.Range(0, 4).Select(_ => SlowBodyAsync(rpc, stop.Token)));
        var bad = Task.Run(() => BadRequestsAsync(rpc, stop.Token));
        var (udpSent, rpcSent) = (await udp, await bad);
        await slow;
        await Task.Delay(1000); // lines of the last requests reach the log

        var grown = net.Log(0).Length - before;
        Assert.True(udpSent > 1_000 && rpcSent > 100, $"the flood was made: {udpSent} UDP packets, {rpcSent} bad requests");
        Assert.True(grown < MaxLogBytes, $"{udpSent} garbage packets and {rpcSent} bad requests wrote {grown} bytes of log:\n"
            + net.Log(0)[before..][..Math.Min(4000, grown)]);

        using var http = new HttpClient();
        var metrics = await http.GetStringAsync(new Uri(net.RpcEndpoints[0], "metrics"));
        output.WriteLine($"{udpSent} garbage packets and {rpcSent} bad requests in {FloodTime.TotalSeconds} s wrote {grown} bytes of log:");
        output.WriteLine(net.Log(0)[before..]);
        output.WriteLine(string.Join('\n', metrics.Split('\n').Where(l => l.StartsWith("dkms_p2p", StringComparison.Ordinal) || l.StartsWith("dkms_rpc", StringComparison.Ordinal))));
        Assert.True(Counter(metrics, "dkms_p2p_malformed_packets_total") > 0, "garbage UDP counted");
        Assert.True(Counter(metrics, "dkms_rpc_client_errors_total{kind=\"aborted\"}") > 0, "aborted bodies counted");
        Assert.True(Counter(metrics, "dkms_rpc_client_errors_total{kind=\"slow_body\"}") > 0, "slow bodies counted");
        Assert.True(Counter(metrics, "dkms_rpc_client_errors_total{kind=\"parse_error\"}") > 0, "undecodable bodies counted");
        Assert.True(Counter(metrics, "dkms_rpc_client_errors_total{kind=\"bad_http\"}") > 0, "malformed HTTP counted");

        // The node still answers.
        Assert.NotNull(await client.NodeStatusAsync());
    }

    private static double Counter(string metrics, string name)
    {
        var line = metrics.Split('\n').FirstOrDefault(l => l.StartsWith(name + " ", StringComparison.Ordinal));
        return line is null ? 0 : double.Parse(line[(name.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Random datagrams, most of which LiteNetLib cannot parse; paced so the sender does not starve the node.</summary>
    private static int GarbageUdp(IPEndPoint target, CancellationToken stop)
    {
        var random = new Random(17);
        using var socket = new UdpClient(AddressFamily.InterNetwork);
        var sent = 0;
        while (!stop.IsCancellationRequested)
        {
            for (var i = 0; i < 50; i++)
            {
                var packet = new byte[random.Next(1, 300)];
                random.NextBytes(packet);
                socket.Send(packet, target);
                sent++;
            }

            Thread.Sleep(10);
        }

        return sent;
    }

    /// <summary>Requests an outsider can send without any key: a body cut short, malformed HTTP, invalid UTF-8 inside a JSON string.</summary>
    private static async Task<int> BadRequestsAsync(IPEndPoint target, CancellationToken stop)
    {
        byte[][] requests =
        [
            Encoding.ASCII.GetBytes("POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"jsonrpc\":"),
            Encoding.ASCII.GetBytes("NOT HTTP AT ALL \u0001\u0002\r\n\r\n"),
            WithBody([.. "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\""u8, 0xff, 0xfe, 0xfd, .. "\"}"u8]),
        ];
        var sent = 0;
        while (!stop.IsCancellationRequested)
        {
            var request = requests[sent % requests.Length];
            try
            {
                using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(target, stop);
                await socket.SendAsync(request, SocketFlags.None, stop);
                if (sent % requests.Length == 2) await socket.ReceiveAsync(new byte[4096], SocketFlags.None, stop);
                socket.LingerState = new LingerOption(true, 0); // reset, as a client that gives up does
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException)
            {
            }

            sent++;
            await Task.Delay(2, CancellationToken.None);
        }

        return sent;
    }

    private static byte[] WithBody(byte[] body) =>
        [.. Encoding.ASCII.GetBytes($"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n"), .. body];

    /// <summary>A body that trickles in far below Kestrel's minimum data rate, until the server gives up on it.</summary>
    private static async Task SlowBodyAsync(IPEndPoint target, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await socket.ConnectAsync(target, stop);
                await socket.SendAsync(Encoding.ASCII.GetBytes("POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{"),
                    SocketFlags.None, stop);
                while (!stop.IsCancellationRequested && socket.Connected)
                {
                    await Task.Delay(500, stop);
                    await socket.SendAsync(" "u8.ToArray(), SocketFlags.None, stop);
                }
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException)
            {
            }
        }
    }
}
