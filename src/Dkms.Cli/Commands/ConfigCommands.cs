using System.CommandLine;
using Dkms.Cli.Infrastructure;
using Dkms.Client;
using Dkms.Core.Genesis;
using Dkms.Rpc;

namespace Dkms.Cli.Commands;

/// <summary><c>dkms config init | show</c>: remembering the chain this client works with (its genesis, kept as a copy, and its node).</summary>
internal static class ConfigCommands
{
    public static Command Build(AppCommands app)
    {
        var config = new Command("config", "The chain this client is set up for: its genesis (kept as a copy) and node");
        var force = new Option<bool>("--force") { Description = "Replace a set-up for another chain or genesis" };
        var init = new Command("init", "Set up for the chain of --genesis FILE (default genesis/genesis.json here) and --node URL; checks the node serves that chain")
        {
            force,
        };
        config.Subcommands.Add(app.Bind(init, (ctx, ct) => InitAsync(ctx, ctx.Get(force), ct)));
        var show = new Command("show", "Show the chain, genesis and node this client is set up for");
        config.Subcommands.Add(app.Bind(show, (ctx, _) => Task.FromResult(Show(ctx))));
        return config;
    }

    private static async Task<int> InitAsync(CommandContext ctx, bool force, CancellationToken ct)
    {
        // The genesis to set up for is the one named now (or genesis/genesis.json here), never the copy of an earlier set-up.
        var source = ctx.ExplicitGenesisPath ?? ctx.ResolvePath(GlobalOptions.DefaultGenesis);
        if (!File.Exists(source)) throw CliException.Usage($"no genesis file at {source}: give --genesis FILE (run-testnet.sh writes genesis/genesis.json)");
        var bytes = File.ReadAllBytes(source);
        GenesisDocument genesis;
        try
        {
            genesis = GenesisDocument.Parse(System.Text.Encoding.UTF8.GetString(bytes));
        }
        catch (GenesisException e)
        {
            throw CliException.Usage($"genesis file {source}: {e.Message}");
        }

        var hash = ChainConfig.Sha256Of(bytes);
        var path = ctx.ConfigPath;
        if (ctx.Config is { } old && (old.ChainId != genesis.ChainId || old.GenesisSha256 != hash) && !force)
        {
            throw CliException.Usage($"{path} is set up for chain '{old.ChainId}' (genesis sha256 {old.GenesisSha256[..16]}…), not this genesis of chain '{genesis.ChainId}' "
                + $"(sha256 {hash[..16]}…); give --force to replace it (or --config another file)");
        }

        var node = ctx.NodeUri;
        // The node must serve the genesis's chain (the client's chain check asks it first, with this genesis named); an
        // unreachable node does not stop a set-up: a verifier may set up before the node is up.
        NodeStatusResult? status = null;
        try
        {
            status = await ctx.Client.NodeStatusAsync(ct).ConfigureAwait(false);
        }
        catch (RpcException e) when (e.Code == 0)
        {
            ctx.Note($"warning: {e.Message}; set up without checking the node (its chain is checked before every later request)");
        }

        var config = new ChainConfig
        {
            ChainId = genesis.ChainId,
            GenesisSha256 = hash,
            GenesisFile = ChainConfig.CopyPathFor(path),
            GenesisSource = source,
            Node = node.ToString(),
        };
        config.Save(path, bytes);
        ctx.Emit(new { config = path, config.ChainId, config.GenesisSha256, config.GenesisFile, config.GenesisSource, config.Node, nodeHeight = status?.Height }, o =>
        {
            o.WriteLine($"Set up for chain '{config.ChainId}' ({genesis.Validators.Length} genesis validators, genesis sha256 {hash}).");
            o.WriteLine($"Genesis copied to {config.GenesisFile}; node {config.Node}{(status is null ? " (not reachable now)" : $" (height {status.Height})")}.");
            o.WriteLine($"Written to {path}. Every command now uses this genesis and node unless --genesis/--node say otherwise, and refuses a node of another chain.");
        });
        return ExitCodes.Ok;
    }

    private static int Show(CommandContext ctx)
    {
        var config = ctx.Config;
        if (config is null)
        {
            throw new CliException(ExitCodes.NotFound,
                $"not set up: no {ctx.ConfigPath}; run 'dkms config init --genesis FILE --node URL'", "NotSetUp");
        }

        ctx.Emit(new { config = ctx.ConfigPath, config.ChainId, config.GenesisSha256, config.GenesisFile, config.GenesisSource, config.Node }, o =>
        {
            o.WriteLine($"config   {ctx.ConfigPath}");
            o.WriteLine($"chain    {config.ChainId}");
            o.WriteLine($"genesis  {config.GenesisFile} (sha256 {config.GenesisSha256}; copied from {config.GenesisSource ?? "?"})");
            o.WriteLine($"node     {config.Node ?? GlobalOptions.DefaultNode}");
        });
        return ExitCodes.Ok;
    }
}
