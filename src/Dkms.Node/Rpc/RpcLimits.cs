using System.Text;
using Dkms.Rpc;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;

namespace Dkms.Node.Rpc;

/// <summary>
/// The RPC's limits on who may take how much of it: open connections at most (<see cref="RpcOptions.MaxConnections"/>;
/// one beyond is answered 429 and closed before Kestrel parses anything of it) and, per connection, a token bucket of
/// requests (<see cref="RpcOptions.RequestsPerSecondPerConnection"/> after a burst; a request beyond is answered 429
/// with <c>Retry-After</c>). Refusals are counted (<see cref="RpcClientFaults"/>: <c>connection_limit</c>,
/// <c>rate_limited</c>).
/// </summary>
public sealed class RpcLimits(RpcOptions options, RpcClientFaults faults, TimeProvider clock)
{
    private const string BucketKey = "dkms.rpc.rate";

    private int _open;

    /// <summary>Connections open now.</summary>
    public int OpenConnections => Volatile.Read(ref _open);

    /// <summary>The clock the buckets refill by (tests set a manual one).</summary>
    internal TimeProvider Clock { get; set; } = clock;

    /// <summary>Connection middleware (before TLS): counts the connection, refuses it beyond the limit.</summary>
    public ConnectionDelegate Connections(ConnectionDelegate next) => async connection =>
    {
        if (Interlocked.Increment(ref _open) > options.MaxConnections)
        {
            Interlocked.Decrement(ref _open);
            faults.Counted("connection_limit");
            // Over TLS nothing readable can be sent before the handshake: the connection is just closed.
            if (!options.UsesTls)
            {
                await connection.Transport.Output.WriteAsync(ConnectionRefusal).ConfigureAwait(false);
            }

            return;
        }

        try
        {
            await next(connection).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _open);
        }
    };

    /// <summary>HTTP middleware: charges the request to its connection's bucket, or answers 429.</summary>
    public async Task InvokeAsync(HttpContext ctx, RequestDelegate next)
    {
        if (options.RequestsPerSecondPerConnection > 0 && ctx.Features.Get<IConnectionItemsFeature>() is { } items)
        {
            if (!items.Items.TryGetValue(BucketKey, out var value) || value is not Bucket bucket)
            {
                items.Items[BucketKey] = bucket = new Bucket(Math.Max(1, options.RequestBurstPerConnection), Clock.GetTimestamp());
            }

            if (!bucket.Take(options.RequestsPerSecondPerConnection, Math.Max(1, options.RequestBurstPerConnection), Clock))
            {
                faults.Counted("rate_limited");
                ctx.Response.StatusCode = StatusCodes.Status429TooManyRequests;
                ctx.Response.Headers.RetryAfter = "1";
                ctx.Response.ContentType = "application/json";
                await ctx.Response.WriteAsync(RateRefusal, ctx.RequestAborted).ConfigureAwait(false);
                return;
            }
        }

        await next(ctx).ConfigureAwait(false);
    }

    private static readonly string RateRefusal =
        $$$"""{"jsonrpc":"2.0","id":null,"error":{"code":{{{RpcErrorCodes.TooManyRequests}}},"message":"this connection sends requests faster than the node allows: slow down (Retry-After)"}}""";

    private static readonly byte[] ConnectionRefusal = Refusal();

    private static byte[] Refusal()
    {
        var body = $$$"""{"jsonrpc":"2.0","id":null,"error":{"code":{{{RpcErrorCodes.TooManyRequests}}},"message":"the node has too many open RPC connections: retry later"}}""";
        return Encoding.ASCII.GetBytes(
            $"HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\nRetry-After: 1\r\nConnection: close\r\n\r\n{body}");
    }

    /// <summary>One connection's requests: HTTP/2 streams of one connection may run at once, hence the lock.</summary>
    private sealed class Bucket(double tokens, long stamp)
    {
        private double _tokens = tokens;
        private long _stamp = stamp;

        public bool Take(int perSecond, int burst, TimeProvider clock)
        {
            lock (this)
            {
                var now = clock.GetTimestamp();
                _tokens = Math.Min(burst, _tokens + clock.GetElapsedTime(_stamp, now).TotalSeconds * perSecond);
                _stamp = now;
                if (_tokens < 1) return false;
                _tokens -= 1;
                return true;
            }
        }
    }
}
