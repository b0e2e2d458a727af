using System.Net;
using System.Text.Json.Nodes;
using Dkms.Client.Rpc;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Dkms.Node.Rpc;

/// <summary>The node's HTTP surface: JSON-RPC at <c>POST /</c>, health, metrics and DID resolution.</summary>
public static class RpcEndpoints
{
    public static void Map(WebApplication app, ValidatorNode node, JsonRpcDispatcher dispatcher)
    {
        var maxBody = node.Settings.MaxRequestBytes;
        app.MapPost("/", async (HttpContext ctx) =>
        {
            // Not cancelled by RequestAborted: a read cancelled mid-body leaves Kestrel's body reader "in progress" and its
            // draining then logs an error with a stack trace per request (aspnetcore#17840). Kestrel ends the read itself
            // when the client goes away or sends too slowly (MinRequestBodyDataRate).
            var body = await ReadBodyAsync(ctx.Request, maxBody, CancellationToken.None).ConfigureAwait(false);
            if (body is null)
            {
                dispatcher.Faults?.Counted("too_large");
                ctx.Response.StatusCode = (int)HttpStatusCode.RequestEntityTooLarge;
                await WriteJsonAsync(ctx, new JsonObject
                {
                    ["jsonrpc"] = "2.0",
                    ["id"] = null,
                    ["error"] = new JsonObject { ["code"] = RpcErrorCodes.InvalidRequest, ["message"] = $"request body exceeds {maxBody} bytes" },
                }.ToJsonString()).ConfigureAwait(false);
                return;
            }

            var answer = await dispatcher.HandleAsync(body, ctx.RequestAborted).ConfigureAwait(false);
            if (answer is null)
            {
                ctx.Response.StatusCode = (int)HttpStatusCode.NoContent;
                return;
            }

            await WriteJsonAsync(ctx, answer).ConfigureAwait(false);
        });

        app.MapGet("/health", async (HttpContext ctx) =>
        {
            // Unhealthy once any background loop failed (the node is then stopping), not only the consensus loop.
            var healthy = !node.Loop.IsCompleted && node.Supervisor.Healthy;
            var status = node.Status.Current;
            ctx.Response.StatusCode = healthy ? 200 : 503;
            await WriteJsonAsync(ctx, new JsonObject
            {
                ["status"] = healthy ? "ok" : "failed",
                ["height"] = status.Ledger.Height,
                ["peers"] = status.Peers.Count,
                // Contained faults leave the node running ("ok"); a non-zero count is a bug worth reporting.
                ["consensusFaults"] = status.ConsensusHealth.ContainedFaults,
                ["lastConsensusFault"] = status.ConsensusHealth.LastContainedFault,
                ["droppedConsensusMessages"] = status.ConsensusHealth.DroppedMessages,
                ["loops"] = HealthView.Loops(node.Supervisor.Loops),
            }.ToJsonString()).ConfigureAwait(false);
        });

        app.MapGet("/metrics", async (HttpContext ctx) =>
        {
            var m = node.Metrics;
            m.ReadStatus(node.Status.Current);
            m.ReadOutsiderCounters();
            ctx.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            await m.Registry.CollectAndExportAsTextAsync(ctx.Response.Body, ctx.RequestAborted).ConfigureAwait(false);
        });

        // DID resolution (W3C/DIF conventions: versions, proofs, representations, caching): DidResolution.cs.
        app.MapGet("/1.0/identifiers/{did}", (HttpContext ctx, string did) => DidResolution.HandleAsync(ctx, node, did));
    }

    /// <summary>The request body, or null when it is larger than <paramref name="max"/> bytes.</summary>
    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, long max, CancellationToken ct)
    {
        if (request.ContentLength > max) return null;
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int n;
        try
        {
            while ((n = await request.Body.ReadAsync(chunk, ct).ConfigureAwait(false)) > 0)
            {
                if (buffer.Length + n > max) return null;
                buffer.Write(chunk, 0, n);
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            // A body without Content-Length (chunked): the server's own limit stops it while reading.
            return null;
        }

        return buffer.ToArray();
    }

    private static Task WriteJsonAsync(HttpContext ctx, string json)
    {
        ctx.Response.ContentType = "application/json";
        return ctx.Response.WriteAsync(json, ctx.RequestAborted);
    }
}
