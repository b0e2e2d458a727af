using Dkms.Network;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace Dkms.Node.Rpc;

/// <summary>
/// Requests that fail by the client's doing — a body that trickles in too slowly, a connection reset mid-body, malformed
/// HTTP, a body that is not JSON — counted by kind (<c>dkms_rpc_client_errors_total{kind}</c>) and logged without a
/// stack trace, rate-limited per source address (<see cref="SourceLimitedLog"/>): anyone who can reach the port can
/// cause them, and each used to write a full stack trace.
/// </summary>
public sealed class RpcClientFaults : IDisposable
{
    /// <summary>The kinds counted, as metric labels.</summary>
    public static readonly IReadOnlyList<string> Kinds = ["slow_body", "aborted", "bad_request", "too_large", "bad_http", "parse_error",
        "content_type", "unauthorized", "rate_limited", "connection_limit"];

    /// <summary>Connections whose bad request the middleware already counted, so Kestrel's own line about it is not counted
    /// again; bounded (cleared when full — at worst a fault is counted twice).</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> _countedConnections = new(StringComparer.Ordinal);

    private readonly long[] _counts = new long[Kinds.Count];
    private readonly SourceLimitedLog _log;

    public RpcClientFaults(ILogger logger, TimeProvider time) =>
        _log = new SourceLimitedLog(logger, time, "RPC client-fault lines", LogLevel.Information);

    /// <summary>Sets up the node's web host: its logger factory is the node's (<paramref name="loggers"/>, one per node),
    /// and Kestrel's own bad-request lines (which carry no source address) go through this as well; call before
    /// <c>Build</c>.</summary>
    public static RpcClientFaults Install(WebApplicationBuilder builder, ILoggerFactory loggers, TimeProvider time)
    {
        var faults = new RpcClientFaults(loggers.CreateLogger("Dkms.Node.Rpc.ClientFaults"), time);
        builder.Logging.ClearProviders();
        builder.Services.Replace(ServiceDescriptor.Singleton<ILoggerFactory>(new Logging.WebHostLoggers(loggers, new KestrelFaultLog(faults))));
        return faults;
    }

    public long Count(string kind) => Interlocked.Read(ref _counts[IndexOf(kind)]);

    /// <summary>Counts one fault without a line (e.g. a parse error, already answered to the client).</summary>
    public void Counted(string kind) => Interlocked.Increment(ref _counts[IndexOf(kind)]);

    /// <summary>Counts one fault and logs it, unless its source or the window has used up its lines.</summary>
    public void Note(string kind, string source, string detail)
    {
        Counted(kind);
        _log.Log(source, LogLevel.Information, "RPC request from {Source} failed by the client: {Kind} ({Detail})", source, kind, detail);
    }

    /// <summary>Middleware around every endpoint: a client fault ends the request with a line and a count, not an
    /// unhandled exception (which Kestrel logs with its stack trace).</summary>
    public async Task InvokeAsync(HttpContext ctx, RequestDelegate next)
    {
        try
        {
            await next(ctx).ConfigureAwait(false);
        }
        catch (Exception e) when (Classify(e, ctx) is { } kind)
        {
            if (e is BadHttpRequestException)
            {
                if (_countedConnections.Count >= 4096) _countedConnections.Clear();
                _countedConnections[ctx.Connection.Id] = 0;
            }

            Note(kind, ctx.Connection.RemoteIpAddress?.ToString() ?? "unknown", e.Message);
            if (kind == "aborted")
            {
                // The client is gone: nothing to answer, and an abort keeps Kestrel from draining a body whose read failed
                // (which logs an error with a stack trace per request, aspnetcore#17840).
                ctx.Abort();
            }
            else if (!ctx.Response.HasStarted && !ctx.RequestAborted.IsCancellationRequested)
            {
                ctx.Response.StatusCode = e is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status400BadRequest;
            }
        }
    }

    /// <summary>Whether the middleware counted the bad request of this connection (forgets it).</summary>
    internal bool TakeCounted(string? connectionId) => connectionId is not null && _countedConnections.TryRemove(connectionId, out _);

    public void Dispose() => _log.Dispose();

    internal static string? Classify(Exception e, HttpContext ctx) => e switch
    {
        BadHttpRequestException { StatusCode: StatusCodes.Status408RequestTimeout } => "slow_body",
        BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } => "too_large",
        BadHttpRequestException => "bad_request",
        OperationCanceledException when ctx.RequestAborted.IsCancellationRequested => "aborted",
        IOException when ctx.RequestAborted.IsCancellationRequested || e.GetType().Name == "ConnectionResetException" => "aborted",
        _ => null,
    };

    private static int IndexOf(string kind)
    {
        for (var i = 0; i < Kinds.Count; i++)
        {
            if (Kinds[i] == kind) return i;
        }

        throw new ArgumentException($"unknown client fault kind '{kind}'", nameof(kind));
    }
}
