using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Dkms.Cli.Tests.Support;

/// <summary>
/// Forwards JSON-RPC to a node and records the method of every request, answered with a result or an error alike:
/// what a node of another chain would have been told. Answers pass unchanged unless <see cref="Rewrite"/> plays a
/// lying node.
/// </summary>
public sealed class RecordingProxy : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HttpClient _http;
    private readonly List<string> _methods = [];

    private RecordingProxy(WebApplication app, HttpClient http, Uri endpoint)
    {
        _app = app;
        _http = http;
        Endpoint = endpoint;
    }

    public Uri Endpoint { get; }

    /// <summary>Given the method and the node's answer, the answer to send instead (a lying node).</summary>
    public Func<string, string, string>? Rewrite { get; set; }

    public IReadOnlyList<string> Methods
    {
        get
        {
            lock (_methods) return [.. _methods];
        }
    }

    public static async Task<RecordingProxy> StartAsync(Uri upstream)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var http = new HttpClient { BaseAddress = upstream, Timeout = TimeSpan.FromSeconds(60) };
        RecordingProxy? proxy = null;
        app.MapPost("/", (HttpContext context) => proxy!.HandleAsync(context));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        proxy = new RecordingProxy(app, http, new Uri(address.TrimEnd('/') + "/"));
        return proxy;
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync(context.RequestAborted);
        var method = JsonNode.Parse(body) is JsonObject call && call["method"] is JsonValue m && m.TryGetValue<string>(out var name) ? name : "(batch or malformed)";
        lock (_methods) _methods.Add(method);
        using var forwarded = await _http.PostAsync("", new StringContent(body, Encoding.UTF8, "application/json"), context.RequestAborted);
        var answer = await forwarded.Content.ReadAsStringAsync(context.RequestAborted);
        if (Rewrite is { } rewrite) answer = rewrite(method, answer);
        context.Response.StatusCode = (int)forwarded.StatusCode;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(answer, context.RequestAborted);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        _http.Dispose();
    }
}
