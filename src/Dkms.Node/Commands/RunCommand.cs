using Dkms.Core.Genesis;
using Dkms.Node.Networking;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Dkms.Node.Commands;

/// <summary>
/// <c>dkms-node run</c>: loads settings (file, then DKMS_ environment variables, then the command line),
/// starts the node and its RPC, and stops cleanly on SIGINT/SIGTERM: RPC first, then the consensus loop,
/// then the store, so a restart resumes from the last committed block.
/// </summary>
internal static class RunCommand
{
    private static readonly Dictionary<string, string> Switches = new()
    {
        ["--data-dir"] = "Node:DataDir",
        ["--genesis"] = "Node:GenesisFile",
        ["--node-key"] = "Node:NodeKeyFile",
        ["--p2p"] = "Node:P2PListen",
        ["--rpc"] = "Node:RpcListen",
        ["--storage"] = "Node:Storage",
        ["--rpc-tls-cert"] = "Node:Rpc:TlsCertificateFile",
        ["--rpc-tls-key"] = "Node:Rpc:TlsKeyFile",
        ["--rpc-token-file"] = "Node:Rpc:TokenFile",
        ["--log-level"] = "Logging:LogLevel:Default",
        ["--log-file"] = "Logging:File:Path",
    };

    public static async Task<int> RunAsync(string[] args)
    {
        var configuration = Load(args);
        var settings = SettingsOf(configuration);
        var genesis = GenesisDocument.Load(settings.GenesisFile);
        var key = NodeKeyFile.Load(settings.ResolvedNodeKeyFile);
        Directory.CreateDirectory(settings.DataDir);

        // One logger factory for the whole node (peer link, node, web host); with a file, nothing is logged to the
        // console (which a script redirects to a file that never rotates).
        using var file = Dkms.Node.Logging.RotatingLogFile.FromSettings(configuration["Logging:File:Path"], configuration["Logging:File:MaxSizeMB"],
            configuration["Logging:File:MaxFiles"]);

        void Logging(ILoggingBuilder l)
        {
            NodeHost.DefaultFilters(l);
            l.AddConfiguration(configuration.GetSection("Logging"));
            if (file is not null) l.AddProvider(file);
            else if (configuration["Logging:Format"] == "json") l.AddJsonConsole(o => o.TimestampFormat = "O");
            else l.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "yyyy-MM-dd HH:mm:ss.fff "; });
        }

        using var loggers = LoggerFactory.Create(Logging);
        var link = PeerLinks.Create(settings, genesis, key, loggers);
        NodeHost created;
        try
        {
            created = NodeHost.Create(settings, genesis, key, link, loggers);
        }
        catch (Exception e) when (DamagedDataDirectory.Find(e) is { } atStart)
        {
            link.Dispose();
            Console.Error.WriteLine(DamagedDataDirectory.Explain(atStart, settings));
            return DamagedDataDirectory.ExitCode;
        }

        await using var host = created;

        using var stop = new CancellationTokenSource();
        using var sigint = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
        using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });

        await host.StartAsync(stop.Token).ConfigureAwait(false);
        var logger = loggers.CreateLogger("dkms-node");
        logger.LogInformation("RPC listening on {Endpoint}; P2P on {P2P}", host.RpcEndpoint, settings.P2PListen.Length > 0 ? settings.P2PListen : "the genesis address");

        var stopped = Task.Delay(Timeout.Infinite, stop.Token);
        var failedLoop = host.Node.Supervisor.Failed;
        var finished = await Task.WhenAny(stopped, failedLoop, host.Node.Damaged).ConfigureAwait(false);
        // Damage found while running (a read by the loop or by an RPC query) stops the node as damage at start does.
        var damage = finished == host.Node.Damaged ? host.Node.Damaged.Result
            : finished == failedLoop ? DamagedDataDirectory.Find(failedLoop.Result.Exception) : null;
        if (damage is not null)
        {
            logger.LogCritical("The data directory is damaged; stopping: {What}", damage.Message);
            Console.Error.WriteLine(DamagedDataDirectory.Explain(damage, settings));
            return DamagedDataDirectory.ExitCode;
        }

        if (finished == failedLoop)
        {
            // Not half-alive: a node whose admission, gossip, journal or consensus loop died stops, naming the loop.
            var failure = failedLoop.Result;
            logger.LogCritical("The {Loop} loop failed; stopping: {Error}", failure.Loop, failure.Message);
            Console.Error.WriteLine($"dkms-node: the {failure.Loop} loop failed ({failure.Message}); the node stops (exit {LoopFailedExitCode}). " +
                "The log has the stack trace.");
            return LoopFailedExitCode;
        }

        logger.LogInformation("Stopping");
        return 0;
    }

    /// <summary>The node's settings from the config file, environment and command line, as <c>run</c> reads them.</summary>
    internal static NodeSettings LoadSettings(string[] args) => SettingsOf(Load(args));

    private static NodeSettings SettingsOf(IConfiguration configuration) =>
        configuration.GetSection("Node").Get<NodeSettings>(o => o.ErrorOnUnknownConfiguration = true) ?? new NodeSettings();

    /// <summary>A background loop failed (the consensus loop on a fault of this node's own storage among them).</summary>
    internal const int LoopFailedExitCode = 3;

    private static IConfigurationRoot Load(string[] args)
    {
        // The config file is named on the command line (or DKMS_CONFIG); it is read first so that
        // environment variables and the rest of the command line override it.
        var first = new ConfigurationBuilder().AddCommandLine(args, new Dictionary<string, string> { ["--config"] = "Config" }.Concat(Switches).ToDictionary()).Build();
        var file = first["Config"] ?? Environment.GetEnvironmentVariable("DKMS_CONFIG");
        var builder = new ConfigurationBuilder();
        if (file is not null)
        {
            if (!File.Exists(file)) throw new NodeConfigurationException($"config file '{file}' does not exist");
            builder.AddJsonFile(Path.GetFullPath(file), optional: false);
        }

        return builder
            .AddEnvironmentVariables("DKMS_")
            .AddCommandLine(args, new Dictionary<string, string> { ["--config"] = "Config" }.Concat(Switches).ToDictionary())
            .Build();
    }
}
