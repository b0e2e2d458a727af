using System.Text.Json;
using System.Text.Json.Nodes;
using Dkms.Core.Genesis;

namespace Dkms.Node.Commands;

/// <summary>Creates a local testnet's keys, per-node configs and genesis (used by run-testnet.sh).</summary>
internal static class TestnetCommand
{
    /// <summary>A local testnet's chain minimum recovery delay, seconds: short, so a whole social recovery can be tried
    /// in minutes (a production genesis that names none gets <see cref="LedgerParameters.DefaultMinRecoveryDelaySeconds"/>).</summary>
    public const int DefaultMinRecoveryDelaySeconds = 60;

    public static int Run(string[] args, TextWriter output)
    {
        var cl = new CommandLine(args, "--force");
        cl.AllowOnly("--output", "--validators", "--chain-id", "--host", "--p2p-port", "--rpc-port", "--min-recovery-delay", "--force");
        var dir = Path.GetFullPath(cl.Require("--output"));
        var n = cl.GetInt("--validators", 4);
        var chainId = cl.Get("--chain-id") ?? "dkms-testnet";
        var host = cl.Get("--host") ?? "127.0.0.1";
        var p2pPort = cl.GetInt("--p2p-port", 26656);
        var rpcPort = cl.GetInt("--rpc-port", 26657);
        var minRecoveryDelay = cl.GetInt("--min-recovery-delay", DefaultMinRecoveryDelaySeconds);
        if (minRecoveryDelay < 1) throw new ArgumentException("--min-recovery-delay must be at least 1 second");
        if (n is < 1 or > 64) throw new ArgumentException("--validators must be 1..64");
        var genesisPath = Path.Combine(dir, "genesis.json");
        if (File.Exists(genesisPath) && !cl.Has("--force")) throw new ArgumentException($"{genesisPath} exists; pass --force to replace the testnet (its data is not deleted)");

        var validators = new List<GenesisValidator>();
        for (var i = 0; i < n; i++)
        {
            var nodeDir = Path.Combine(dir, $"node{i}");
            Directory.CreateDirectory(nodeDir);
            var keyFile = Path.Combine(nodeDir, "node_key.json");
            var key = File.Exists(keyFile) ? NodeKeyFile.Load(keyFile).PublicKey : NodeKeyFile.Create(keyFile);
            var p2p = $"{host}:{p2pPort + 10 * i}";
            validators.Add(new GenesisValidator { Name = $"node{i}", NodeKey = key.ToHex(), Address = p2p, Power = 1 });
            var config = new JsonObject
            {
                ["Node"] = new JsonObject
                {
                    ["DataDir"] = Path.Combine(nodeDir, "data"),
                    ["GenesisFile"] = genesisPath,
                    ["NodeKeyFile"] = keyFile,
                    ["P2PListen"] = p2p,
                    ["RpcListen"] = $"{host}:{rpcPort + 10 * i}",
                },
                ["Logging"] = new JsonObject { ["LogLevel"] = new JsonObject { ["Default"] = "Information" } },
            };
            File.WriteAllText(Path.Combine(nodeDir, "node.json"), config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        }

        var genesis = new GenesisDocument
        {
            ChainId = chainId,
            GenesisTime = DateTimeOffset.UtcNow,
            Validators = [.. validators],
            Ledger = new LedgerParameters { MinRecoveryDelaySeconds = (ulong)minRecoveryDelay },
        };
        File.WriteAllText(genesisPath, genesis.ToJson());
        output.WriteLine($"testnet of {n} validators, chain '{chainId}', in {dir}");
        output.WriteLine($"genesis: {genesisPath}");
        for (var i = 0; i < n; i++) output.WriteLine($"node{i}: {Path.Combine(dir, $"node{i}", "node.json")}  p2p {validators[i].Address}  rpc http://{host}:{rpcPort + 10 * i}/");
        return 0;
    }
}
