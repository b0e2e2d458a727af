using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Dkms.Node.Testing;
using Dkms.Rpc;
using Microsoft.Extensions.Time.Testing;

namespace Dkms.Node.Tests.Rpc;

/// <summary>The RPC's connection limit and per-connection request rate, against real clients.</summary>
public sealed class RpcConnectionLimitTests
{
    private const string StatusCall = """{"jsonrpc":"2.0","id":1,"method":"node.status"}""";

    private static StringContent Status() => new(StatusCall, Encoding.UTF8, "application/json");

    /// <summary>Waits (bounded) for a condition the node reaches on its own, e.g. having accepted connections.</summary>
    private static async Task WaitForAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            await Task.Delay(20);
        }
    }

    private static async Task<string> ReadToEndAsync(TcpClient client)
    {
        using var reader = new StreamReader(client.GetStream(), Encoding.ASCII);
        return await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task Connections_beyond_the_limit_are_answered_429_closed_and_counted()
    {
        await using var net = await InProcessTestnet.StartAsync(1, settings: (_, s) => s with { Rpc = s.Rpc with { MaxConnections = 4 } });
        var host = net.Host(0);
        var endpoint = net.RpcEndpoints[0];
        var idle = new List<TcpClient>();
        try
        {
            for (var i = 0; i < 4; i++)
            {
                var c = new TcpClient();
                await c.ConnectAsync(endpoint.Host, endpoint.Port);
                idle.Add(c);
            }

            await WaitForAsync(() => host.RpcLimits.OpenConnections == 4, "four open connections");

            using (var fifth = new TcpClient())
            {
                await fifth.ConnectAsync(endpoint.Host, endpoint.Port);
                var answer = await ReadToEndAsync(fifth);
                Assert.StartsWith("HTTP/1.1 429 ", answer, StringComparison.Ordinal);
                Assert.Contains(RpcErrorCodes.TooManyRequests.ToString(System.Globalization.CultureInfo.InvariantCulture), answer, StringComparison.Ordinal);
            }

            // A real client beyond the limit: the 429, or a connection closed under it, never an answer.
            using (var http = new HttpClient { BaseAddress = endpoint, Timeout = TimeSpan.FromSeconds(30) })
            {
                try
                {
                    using var response = await http.PostAsync("", Status());
                    Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
                }
                catch (HttpRequestException)
                {
                    // closed before the answer could be read
                }
            }

            Assert.Equal(4, host.RpcLimits.OpenConnections);
            idle[0].Dispose();
            idle.RemoveAt(0);
            await WaitForAsync(() => host.RpcLimits.OpenConnections == 3, "a connection to close");

            using var served = new HttpClient { BaseAddress = endpoint, Timeout = TimeSpan.FromSeconds(30) };
            var metrics = await served.GetStringAsync("metrics");
            Assert.Matches("dkms_rpc_client_errors_total\\{kind=\"connection_limit\"\\} [2-9]", metrics);
            Assert.Contains("dkms_rpc_connections 4", metrics, StringComparison.Ordinal);
        }
        finally
        {
            foreach (var c in idle) c.Dispose();
        }
    }

    [Fact]
    public async Task A_connection_sending_faster_than_its_rate_gets_429_until_its_bucket_refills()
    {
        await using var net = await InProcessTestnet.StartAsync(1, settings: (_, s) => s with
        {
            Rpc = s.Rpc with { RequestsPerSecondPerConnection = 1, RequestBurstPerConnection = 3 },
        });
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        net.Host(0).RpcLimits.Clock = clock;
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = 1 };
        using var http = new HttpClient(handler) { BaseAddress = net.RpcEndpoints[0], Timeout = TimeSpan.FromSeconds(30) };

        for (var i = 0; i < 3; i++)
        {
            using var ok = await http.PostAsync("", Status());
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        using (var refused = await http.PostAsync("", Status()))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(1), refused.Headers.RetryAfter!.Delta);
            using var body = JsonDocument.Parse(await refused.Content.ReadAsStringAsync());
            Assert.Equal(RpcErrorCodes.TooManyRequests, body.RootElement.GetProperty("error").GetProperty("code").GetInt32());
        }

        clock.Advance(TimeSpan.FromSeconds(1));
        using (var again = await http.PostAsync("", Status())) Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        using (var refusedAgain = await http.PostAsync("", Status())) Assert.Equal(HttpStatusCode.TooManyRequests, refusedAgain.StatusCode);

        // The limit is the connection's: another connection has its own burst.
        using var other = new HttpClient { BaseAddress = net.RpcEndpoints[0], Timeout = TimeSpan.FromSeconds(30) };
        var metrics = await other.GetStringAsync("metrics");
        Assert.Matches("dkms_rpc_client_errors_total\\{kind=\"rate_limited\"\\} 2\\b", metrics);
    }
}
