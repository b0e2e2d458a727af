using System.Collections.Concurrent;
using Dkms.Core.Crypto;
using Dkms.Core.Genesis;
using Dkms.Core.Primitives;
using Dkms.Node.Networking;
using Dkms.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Dkms.Node.Tests.Logging;

/// <summary>
/// Issue 18 item 8: one logger factory per node. The node's own lines and the web host's (ASP.NET Core's hosting, the
/// JSON-RPC dispatcher) go through the same factory, so one set of settings, filters and providers serves both.
/// </summary>
public sealed class OneLoggerFactoryTests
{
    private const string ChainId = "dkms-one-logger-factory";

    private static (NodeSettings, GenesisDocument, Ed25519Signer) Node()
    {
        var key = Ed25519Signer.FromSeed(Hash32.Sha256("one-logger-factory"u8).ToArray());
        var genesis = new GenesisDocument
        {
            ChainId = ChainId,
            Validators = [new GenesisValidator { Name = "v0", NodeKey = key.PublicKey.ToHex(), Address = "127.0.0.1:1", Power = 1 }],
        };
        return (new NodeSettings { Storage = "memory", RpcListen = "127.0.0.1:0" }, genesis, key);
    }

    [Fact]
    public async Task The_callers_factory_serves_the_node_and_the_web_host()
    {
        var (settings, genesis, key) = Node();
        var capture = new CapturingProvider();
        var loggers = LoggerFactory.Create(l => l.SetMinimumLevel(LogLevel.Information).AddProvider(capture));
        await using (var host = NodeHost.Create(settings, genesis, key, new InMemoryPeerHub().Join(key.PublicKey), loggers, store: new MemoryStore()))
        {
            await host.StartAsync();
            // The web host's services log through the caller's factory: the very same object.
            Assert.Same(loggers, UnwrapNode(host.Web.Services.GetRequiredService<ILoggerFactory>()));
        }

        // A node line, and the web host's own line (the hosting layer announces the address it listens on).
        Assert.Contains(capture.Lines, l => l.Category == typeof(ValidatorNode).FullName && l.Message.StartsWith("Node started", StringComparison.Ordinal));
        Assert.Contains(capture.Lines, l => l.Category == "Microsoft.Hosting.Lifetime" && l.Message.Contains("listening on", StringComparison.Ordinal));
        // The caller owns the factory: the host left it usable.
        loggers.CreateLogger("after").LogInformation("still open");
        Assert.Contains(capture.Lines, l => l.Message == "still open");
        loggers.Dispose();
    }

    [Fact]
    public async Task A_host_configured_by_an_action_builds_one_factory()
    {
        var (settings, genesis, key) = Node();
        var capture = new CapturingProvider();
        var configured = 0;
        await using (var host = NodeHost.Create(settings, genesis, key, new InMemoryPeerHub().Join(key.PublicKey), l =>
                     {
                         Interlocked.Increment(ref configured);
                         l.SetMinimumLevel(LogLevel.Information).AddProvider(capture);
                     }, store: new MemoryStore()))
        {
            await host.StartAsync();
        }

        // Before: the configuration ran twice (a factory for the node, another for the web host).
        Assert.Equal(1, configured);
        Assert.Contains(capture.Lines, l => l.Category == typeof(ValidatorNode).FullName);
        Assert.Contains(capture.Lines, l => l.Category == "Microsoft.Hosting.Lifetime");
        // The default filter of every node factory: ASP.NET Core's per-request Information lines stay out.
        Assert.DoesNotContain(capture.Lines, l => l.Category.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal) && l.Level < LogLevel.Warning);
    }

    private static ILoggerFactory UnwrapNode(ILoggerFactory web) => web is Node.Logging.WebHostLoggers wrapped ? wrapped.Node : web;

    private sealed record Line(string Category, LogLevel Level, string Message);

    private sealed class CapturingProvider : ILoggerProvider
    {
        private readonly ConcurrentQueue<Line> _lines = new();

        public IReadOnlyCollection<Line> Lines => [.. _lines];

        public ILogger CreateLogger(string categoryName) => new Capture(categoryName, _lines);

        public void Dispose()
        {
        }

        private sealed class Capture(string category, ConcurrentQueue<Line> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                lines.Enqueue(new Line(category, logLevel, formatter(state, exception)));
        }
    }
}
