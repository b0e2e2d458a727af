using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using Dkms.Node.Testing;
using Xunit.Abstractions;

namespace Dkms.Node.Tests.Rpc;

/// <summary>Alone in the process: it counts the bytes the whole process allocates while the node reads a body.</summary>
[CollectionDefinition(nameof(AllocationCountingCollection), DisableParallelization = true)]
public sealed class AllocationCountingCollection;

/// <summary>A request body is read once into one buffer, and a body over the limit is refused before it is buffered.</summary>
[Collection(nameof(AllocationCountingCollection))]
public sealed class RequestBodyTests(ITestOutputHelper output)
{
    private static byte[] CallWithPadding(int bytes)
    {
        var head = """{"jsonrpc":"2.0","id":1,"method":"no.such.method","params":{"pad":" """.TrimEnd();
        const string tail = "\"}}";
        var body = new byte[bytes];
        Encoding.ASCII.GetBytes(head).CopyTo(body, 0);
        body.AsSpan(head.Length, bytes - head.Length - tail.Length).Fill((byte)'a');
        Encoding.ASCII.GetBytes(tail).CopyTo(body, bytes - tail.Length);
        return body;
    }

    private static async Task<HttpStatusCode> PostAsync(HttpClient http, byte[] body)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await http.PostAsync("", content);
        await response.Content.ReadAsStringAsync();
        return response.StatusCode;
    }

    [Fact]
    public async Task A_large_body_is_held_in_one_buffer_not_copied()
    {
        await using var net = await InProcessTestnet.StartAsync(1);
        using var http = new HttpClient { BaseAddress = net.RpcEndpoints[0], Timeout = TimeSpan.FromSeconds(60) };
        // Invalid UTF-8 at its end: the node reads the whole body and answers a parse error without building a JSON
        // document (whose index, sized by the body, would be counted too).
        var body = CallWithPadding(12 * 1024 * 1024);
        body[^4] = 0xFF;
        Assert.Equal(HttpStatusCode.OK, await PostAsync(http, body)); // warms the connection, pools and JIT

        var before = GC.GetTotalAllocatedBytes(precise: true);
        Assert.Equal(HttpStatusCode.OK, await PostAsync(http, body));
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        output.WriteLine($"reading a {body.Length}-byte body allocated {allocated} bytes in the process");

        // One buffer is the body's size; reading it into a growing stream and copying it out took more than three times that.
        Assert.True(allocated < body.Length * 3 / 2, $"reading a {body.Length}-byte body allocated {allocated} bytes in the process");
    }

    [Fact]
    public async Task A_declared_length_over_the_limit_is_refused_before_any_byte_of_the_body_is_sent()
    {
        await using var net = await InProcessTestnet.StartAsync(1, settings: (_, s) => s with { MaxRequestBytes = 64 * 1024 });
        var endpoint = net.RpcEndpoints[0];
        using var client = new TcpClient();
        await client.ConnectAsync(endpoint.Host, endpoint.Port);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {64 * 1024 + 1}\r\n\r\n"));
        var buffer = new byte[4096];
        var n = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        var answer = Encoding.ASCII.GetString(buffer, 0, n);
        Assert.StartsWith("HTTP/1.1 413 ", answer, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_chunked_body_over_the_limit_is_refused_and_one_at_the_limit_is_read()
    {
        const int max = 64 * 1024;
        await using var net = await InProcessTestnet.StartAsync(1, settings: (_, s) => s with { MaxRequestBytes = max });

        async Task<HttpStatusCode> ChunkedAsync(byte[] body)
        {
            // A client of its own: the server closes a connection whose body it refused unread.
            using var http = new HttpClient { BaseAddress = net.RpcEndpoints[0], Timeout = TimeSpan.FromSeconds(60) };
            using var content = new StreamContent(new MemoryStream(body)); // no Content-Length: sent chunked
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var response = await http.PostAsync("", content);
            return response.StatusCode;
        }

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, await ChunkedAsync(CallWithPadding(max + 1)));
        Assert.Equal(HttpStatusCode.OK, await ChunkedAsync(CallWithPadding(max)));
        Assert.Equal(HttpStatusCode.OK, await ChunkedAsync(CallWithPadding(200)));
    }
}
