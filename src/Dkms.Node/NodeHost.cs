using System.Net;
using Dkms.Core.Crypto;
using Dkms.Core.Genesis;
using Dkms.Node.Maintenance;
using Dkms.Node.Networking;
using Dkms.Node.Rpc;
using Dkms.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Dkms.Node;

/// <summary>
/// A validator node with its HTTP server: what <c>dkms-node run</c> starts and what in-process tests
/// start several of. Start order: node (peers, consensus) then RPC; stop order: RPC then node.
/// </summary>
public sealed partial class NodeHost : IAsyncDisposable
{
    private int _disposed;

    /// <summary>The logger factory this host made (and disposes), or null when the caller's serves it.</summary>
    private ILoggerFactory? _ownedLoggers;

    private RpcClientFaults? _clientFaults;

    private NodeHost(ValidatorNode node, WebApplication web)
    {
        Node = node;
        Web = web;
    }

    public ValidatorNode Node { get; }

    public WebApplication Web { get; }

    /// <summary>The RPC's connection and rate limits (their counts; tests set their clock).</summary>
    public RpcLimits RpcLimits { get; private init; } = null!;

    /// <summary>The RPC root URL, known once started (the port may have been chosen by the OS).</summary>
    public Uri RpcEndpoint { get; private set; } = new("http://127.0.0.1/");

    /// <summary>Builds the node and its web host with a logger factory of their own (owned by the host, disposed with it):
    /// <paramref name="configureLogging"/> replaces the default console logging; <paramref name="store"/> and
    /// <paramref name="journalStore"/> replace the stores the settings name (tests).</summary>
    public static NodeHost Create(NodeSettings settings, GenesisDocument genesis, ISigner nodeKey, IPeerLink link,
        Action<ILoggingBuilder>? configureLogging = null, TimeProvider? time = null, IKeyValueStore? store = null,
        IKeyValueStore? journalStore = null)
    {
        var loggers = LoggerFactory.Create(l =>
        {
            DefaultFilters(l);
            if (configureLogging is not null) configureLogging(l);
            else l.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss.fff "; });
        });
        try
        {
            var host = Create(settings, genesis, nodeKey, link, loggers, time, store, journalStore);
            host._ownedLoggers = loggers;
            return host;
        }
        catch
        {
            loggers.Dispose();
            throw;
        }
    }

    /// <summary>The filters every node factory starts with (configuration added after them may override): ASP.NET Core
    /// logs per request at Information, so only its warnings and errors.</summary>
    public static void DefaultFilters(ILoggingBuilder logging) => logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);

    /// <summary>Builds the node and its web host on the caller's logger factory (<paramref name="loggers"/>, which the
    /// caller disposes after the host): the node, its loops and the web host (Kestrel, ASP.NET Core, the dispatcher) all
    /// log through it, so one set of settings, filters and providers serves every line of the node.</summary>
    public static NodeHost Create(NodeSettings settings, GenesisDocument genesis, ISigner nodeKey, IPeerLink link,
        ILoggerFactory loggers, TimeProvider? time = null, IKeyValueStore? store = null, IKeyValueStore? journalStore = null)
    {
        NodeSettingsCheck.Validate(settings);
        if (!GenesisDocument.TrySplitAddress(settings.RpcListen, out var rpcHost, out var rpcPort))
        {
            throw new NodeConfigurationException($"RpcListen '{settings.RpcListen}' is not host:port");
        }

        // The node reads its settings itself (NodeSettings), not from appsettings.json; the host's default
        // reload-on-change would put a recursive file watcher on the working directory, which holds the data
        // directory when run from a checkout: every RocksDB write woke it (≈ 2% of a node's CPU under load).
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = ["--hostBuilder:reloadConfigOnChange=false"],
            ContentRootPath = AppContext.BaseDirectory,
        });
        var clientFaults = RpcClientFaults.Install(builder, loggers, time ?? TimeProvider.System);
        RpcExposure exposure;
        try
        {
            exposure = RpcExposure.Configure(builder, settings, rpcHost, rpcPort, clientFaults, time ?? TimeProvider.System, loggers);
            store ??= OpenStore(settings, genesis, loggers.CreateLogger("Dkms.Node.Upgrade"));
        }
        catch
        {
            clientFaults.Dispose();
            throw;
        }

        IKeyValueStore? journal = null;
        ValidatorNode node;
        try
        {
            journal = journalStore ?? OpenJournalStore(settings);
            node = new ValidatorNode(genesis, settings, nodeKey, store, link, loggers, time ?? TimeProvider.System, journal);
        }
        catch
        {
            journal?.Dispose();
            store.Dispose();
            clientFaults.Dispose();
            throw;
        }

        builder.Services.AddSingleton(node);
        var web = builder.Build();
        web.Use(clientFaults.InvokeAsync);
        web.Use(exposure.Limits.InvokeAsync);
        node.Metrics.RpcFaults = clientFaults;
        node.Metrics.RpcLimits = exposure.Limits;
        node.Metrics.Transport = (link as LiteNetPeerLink)?.Network.Stats;
        var dispatcher = new JsonRpcDispatcher(web.Services.GetRequiredService<ILoggerFactory>().CreateLogger<JsonRpcDispatcher>()) { Faults = clientFaults };
        RpcWiring.For(node).Register(dispatcher);
        new AdminRpc(node.Backups).Register(dispatcher);
        RpcEndpoints.Map(web, node.Reads, node.Status, node.Health, node.Metrics, dispatcher, settings.MaxRequestBytes, exposure.Token);
        return new NodeHost(node, web) { _clientFaults = clientFaults, RpcLimits = exposure.Limits };
    }

    public async Task StartAsync(CancellationToken ct = default)
    {
        // The journal's acknowledged transactions go back into admission before the RPC takes new ones.
        await Node.StartAsync(ct).ConfigureAwait(false);
        await Web.StartAsync(ct).ConfigureAwait(false);
        var address = Web.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
        if (address is not null) RpcEndpoint = new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal).TrimEnd('/') + "/");
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        try
        {
            await Web.StopAsync(CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            await Web.DisposeAsync().ConfigureAwait(false);
            await Node.DisposeAsync().ConfigureAwait(false);
            _clientFaults?.Dispose();
            _ownedLoggers?.Dispose(); // flushes the node's last log lines
        }
    }

    private static IKeyValueStore OpenStore(NodeSettings settings, GenesisDocument genesis, ILogger logger)
    {
        switch (settings.Storage.ToLowerInvariant())
        {
            case "memory": return new MemoryStore();
            case "rocksdb": break;
            default: throw new NodeConfigurationException($"Storage '{settings.Storage}' is not rocksdb or memory");
        }

        DataDirectoryRebuild.FinishInterruptedSwap(settings.DataDir);
        if (DataDirectoryRebuild.OlderLayout(settings.DataDir) is { } older)
        {
            // The keys are not what this version writes, and without a mark the store cannot show it lost no writes: it is
            // rebuilt from its certified blocks, and the validator holds signing until it has caught up (docs/security.md).
            LogUpgrading(logger, older);
            var (height, kept) = DataDirectoryRebuild.Run(settings.DataDir, genesis, holdSigning: true,
                p => LogUpgradeProgress(logger, p.Height, p.Last, p.HeightsPerSecond), TimeProvider.System);
            LogUpgraded(logger, height, kept);
        }

        return RocksDbStore.Open(DataDirectoryRebuild.LedgerPath(settings.DataDir));
    }

    /// <summary>The pending journal's own RocksDB (<c>&lt;data&gt;/pending</c>), apart from the ledger's: its synced
    /// group writes neither wait behind the ledger's writes nor count among them. None for in-memory storage.</summary>
    private static IKeyValueStore? OpenJournalStore(NodeSettings settings) =>
        settings.Storage.Equals("rocksdb", StringComparison.OrdinalIgnoreCase) ? RocksDbStore.Open(Path.Combine(settings.DataDir, "pending")) : null;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Upgrading the data directory: {Why}. Rebuilding it from its certified blocks")]
    private static partial void LogUpgrading(ILogger logger, string why);

    [LoggerMessage(Level = LogLevel.Information, Message = "Upgrade: height {Height} of {Last} ({Rate:F0} heights/s)")]
    private static partial void LogUpgradeProgress(ILogger logger, ulong height, ulong last, double rate);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Upgraded the data directory: rebuilt to height {Height}; the old store is kept in {Kept} (delete it once the node runs)")]
    private static partial void LogUpgraded(ILogger logger, ulong height, string kept);

    internal static IPAddress ResolveAddress(string host)
    {
        if (host is "localhost") return IPAddress.Loopback;
        if (IPAddress.TryParse(host, out var ip)) return ip;
        var addresses = Dns.GetHostAddresses(host);
        return addresses.FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork) ?? addresses.First();
    }
}
