using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Dkms.Client.Tests.Support;

/// <summary>One JSON-RPC call passing through the proxy: what was asked and what the honest node answered.</summary>
public sealed record ProxiedCall(string Method, JsonObject Params, JsonNode HonestResult)
{
    public string? Param(string name) => Params[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    public ulong? HeightParam => Params["height"] is JsonValue v && v.TryGetValue<ulong>(out var h) ? h : null;

    public bool ProofParam => Params["proof"] is JsonValue v && v.TryGetValue<bool>(out var b) && b;
}

/// <summary>
/// A node that lies: an HTTP server in the test that forwards JSON-RPC to a real node and, through
/// <see cref="Lie"/>, replaces the answers it chooses with other ones — typically genuine answers to
/// another question (another identity, an older height), which a verifier must tell apart from the
/// answer to its own question. <see cref="LiesTold"/> counts the replaced answers, so a test can show
/// that its lie was actually served.
/// </summary>
public sealed class LyingProxy : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HttpClient _http;
    private int _liesTold;

    private LyingProxy(WebApplication app, HttpClient http, Uri endpoint)
    {
        _app = app;
        _http = http;
        Endpoint = endpoint;
        Upstream = new DkmsRpcClient(http);
    }

    /// <summary>The proxy's RPC root: give it to a client as the node's address.</summary>
    public Uri Endpoint { get; }

    /// <summary>A client of the honest node behind the proxy, for a lie to fetch genuine answers to other questions.</summary>
    public DkmsRpcClient Upstream { get; }

    /// <summary>Returns the result to answer instead of the honest one, or null to pass the honest answer through.</summary>
    public Func<ProxiedCall, Task<JsonNode?>>? Lie { get; set; }

    public int LiesTold => Volatile.Read(ref _liesTold);

    public static async Task<LyingProxy> StartAsync(Uri upstream)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var http = new HttpClient { BaseAddress = upstream, Timeout = TimeSpan.FromSeconds(60) };
        LyingProxy? proxy = null;
        app.MapPost("/", (HttpContext context) => proxy!.HandleAsync(context));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        proxy = new LyingProxy(app, http, new Uri(address.TrimEnd('/') + "/"));
        return proxy;
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync(context.RequestAborted);
        using var forwarded = await _http.PostAsync("", new StringContent(body, Encoding.UTF8, "application/json"), context.RequestAborted);
        var answer = await forwarded.Content.ReadAsStringAsync(context.RequestAborted);
        var rewritten = await RewriteAsync(body, answer);
        context.Response.StatusCode = (int)forwarded.StatusCode;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(rewritten ?? answer, context.RequestAborted);
    }

    private async Task<string?> RewriteAsync(string request, string answer)
    {
        var lie = Lie;
        if (lie is null) return null;
        if (JsonNode.Parse(request) is not JsonObject call || JsonNode.Parse(answer) is not JsonObject response) return null; // batches pass through
        if (response["result"] is not { } honest || call["method"]?.GetValue<string>() is not { } method) return null;
        var parameters = call["params"] as JsonObject ?? [];
        var replacement = await lie(new ProxiedCall(method, parameters, honest.DeepClone()));
        if (replacement is null) return null;
        Interlocked.Increment(ref _liesTold);
        response["result"] = replacement;
        return response.ToJsonString();
    }

    /// <summary>Answers the <paramref name="method"/> calls that <paramref name="when"/> picks with the honest
    /// answer to another question: the call's parameters as <paramref name="change"/> alters them.</summary>
    public void AnswerInstead(string method, Func<ProxiedCall, bool> when, Action<JsonObject> change) =>
        Lie = async call =>
        {
            if (call.Method != method || !when(call)) return null;
            var other = (JsonObject)call.Params.DeepClone();
            change(other);
            return await AskHonestlyAsync(method, other);
        };

    /// <summary>Answers the <paramref name="method"/> calls that <paramref name="when"/> picks with the honest result as <paramref name="edit"/> alters it.</summary>
    public void Tamper(string method, Func<ProxiedCall, bool> when, Action<JsonObject> edit) =>
        Lie = call =>
        {
            if (call.Method != method || !when(call) || call.HonestResult is not JsonObject result) return Task.FromResult<JsonNode?>(null);
            edit(result);
            return Task.FromResult<JsonNode?>(result);
        };

    /// <summary>Tells no more lies.</summary>
    public void BeHonest() => Lie = null;

    /// <summary>The result of <paramref name="method"/> with <paramref name="parameters"/> as the honest node answers it, as JSON.</summary>
    public async Task<JsonNode> AskHonestlyAsync(string method, JsonObject parameters) =>
        JsonSerializer.SerializeToNode(await Upstream.CallAsync<JsonElement>(method, parameters))!;

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        Upstream.Dispose();
        _http.Dispose();
    }
}
