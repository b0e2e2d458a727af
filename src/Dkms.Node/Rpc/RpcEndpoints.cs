using System.Net;
using System.Text.Json.Nodes;
using Dkms.Node.Status;
using Dkms.Rpc;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Dkms.Node.Rpc;

/// <summary>The node's HTTP surface: JSON-RPC at <c>POST /</c>, health, metrics and DID resolution.</summary>
public static class RpcEndpoints
{
    /// <summary>Maps the endpoints on the views they read: <paramref name="ledger"/> (DID resolution), the published
    /// <paramref name="status"/> and the supervisor's <paramref name="health"/> (<c>/health</c>, <c>/metrics</c>); the
    /// JSON-RPC methods are the dispatcher's.</summary>
    public static void Map(WebApplication app, ILedgerReads ledger, INodeStatus status, IHealthSide health, NodeMetrics metrics,
        JsonRpcDispatcher dispatcher, long maxBody, RpcToken? token = null)
    {
        app.MapPost("/", async (HttpContext ctx) =>
        {
            // Answers are never to be read by a web page: no CORS header is ever sent, and nosniff keeps a browser from
            // taking an answer for anything but JSON.
            ctx.Response.Headers.XContentTypeOptions = "nosniff";

            // A web page may POST text/plain (or a form) to a node on the visitor's machine without asking first; it
            // may not send application/json without a CORS preflight, which this server never grants.
            if (!IsJson(ctx.Request.ContentType))
            {
                await RefuseAsync(ctx, dispatcher, "content_type", StatusCodes.Status415UnsupportedMediaType, RpcErrorCodes.UnsupportedMediaType,
                    "Content-Type must be application/json").ConfigureAwait(false);
                return;
            }

            var caller = RpcCaller.Trusted();
            if (token is not null)
            {
                var presented = ctx.Request.Headers.Authorization;
                // A wrong token is refused outright, even for reading methods: its sender believes it may change state.
                if (presented.Count > 0 && !token.Matches(presented))
                {
                    ctx.Response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\"";
                    await RefuseAsync(ctx, dispatcher, "unauthorized", StatusCodes.Status401Unauthorized, RpcErrorCodes.Unauthorized,
                        "the bearer token is wrong").ConfigureAwait(false);
                    return;
                }

                caller = new RpcCaller { MayChangeState = presented.Count > 0 };
            }

            // Not cancelled by RequestAborted: a read cancelled mid-body leaves Kestrel's body reader "in progress" and its
            // draining then logs an error with a stack trace per request (aspnetcore#17840). Kestrel ends the read itself
            // when the client goes away or sends too slowly (MinRequestBodyDataRate).
            using var body = await RequestBody.ReadAsync(ctx.Request, maxBody, CancellationToken.None).ConfigureAwait(false);
            if (body is null)
            {
                await RefuseAsync(ctx, dispatcher, "too_large", StatusCodes.Status413PayloadTooLarge, RpcErrorCodes.InvalidRequest,
                    $"request body exceeds {maxBody} bytes").ConfigureAwait(false);
                return;
            }

            AdminRpc.SetCaller(ctx.Connection.RemoteIpAddress);
            var answer = await dispatcher.HandleAsync(body.Memory, caller, ctx.RequestAborted).ConfigureAwait(false);
            if (caller.Refused)
            {
                dispatcher.Faults?.Counted("unauthorized");
                ctx.Response.StatusCode = StatusCodes.Status401Unauthorized;
                ctx.Response.Headers.WWWAuthenticate = "Bearer";
            }

            if (answer is null)
            {
                if (!caller.Refused) ctx.Response.StatusCode = (int)HttpStatusCode.NoContent;
                return;
            }

            await WriteJsonAsync(ctx, answer).ConfigureAwait(false);
        });

        app.MapGet("/health", async (HttpContext ctx) =>
        {
            // Unhealthy once any background loop failed (the node is then stopping), not only the consensus loop.
            var healthy = health.Healthy;
            var current = status.Current;
            ctx.Response.StatusCode = healthy ? 200 : 503;
            await WriteJsonAsync(ctx, new JsonObject
            {
                ["status"] = healthy ? "ok" : "failed",
                ["height"] = current.Ledger.Height,
                ["peers"] = current.Peers.Count,
                // Contained faults leave the node running ("ok"); a non-zero count is a bug worth reporting.
                ["consensusFaults"] = current.ConsensusHealth.ContainedFaults,
                ["lastConsensusFault"] = current.ConsensusHealth.LastContainedFault,
                ["droppedConsensusMessages"] = current.ConsensusHealth.DroppedMessages,
                ["loops"] = HealthView.Loops(health.Loops),
            }.ToJsonString()).ConfigureAwait(false);
        });

        app.MapGet("/metrics", async (HttpContext ctx) =>
        {
            var m = metrics;
            m.ReadStatus(status.Current);
            m.ReadOutsiderCounters();
            ctx.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            await m.Registry.CollectAndExportAsTextAsync(ctx.Response.Body, ctx.RequestAborted).ConfigureAwait(false);
        });

        // DID resolution (W3C/DIF conventions: versions, proofs, representations, caching): DidResolution.cs.
        app.MapGet("/1.0/identifiers/{did}", (HttpContext ctx, string did) => DidResolution.HandleAsync(ctx, ledger, did));
    }

    /// <summary>Whether a Content-Type is JSON in UTF-8: <c>application/json</c>, with no charset or UTF-8.</summary>
    internal static bool IsJson(string? contentType)
    {
        if (!Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(contentType, out var media)) return false;
        if (!media.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)) return false;
        return !media.Charset.HasValue || media.Charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase);
    }

    private static Task RefuseAsync(HttpContext ctx, JsonRpcDispatcher dispatcher, string kind, int status, int code, string message)
    {
        dispatcher.Faults?.Counted(kind);
        ctx.Response.StatusCode = status;
        return WriteJsonAsync(ctx, new JsonObject
        {
            ["jsonrpc"] = "2.0",
            ["id"] = null,
            ["error"] = new JsonObject { ["code"] = code, ["message"] = message },
        }.ToJsonString());
    }

    private static Task WriteJsonAsync(HttpContext ctx, string json)
    {
        ctx.Response.ContentType = "application/json";
        return ctx.Response.WriteAsync(json, ctx.RequestAborted);
    }
}
