using System.Text.Json;
using System.Text.Json.Nodes;
using Dkms.Core.Genesis;

namespace Dkms.Node.Commands;

/// <summary>Creates a local testnet's keys, per-node configs and genesis (used by run-testnet.sh).</summary>
internal static class TestnetCommand
{
    public static int Run(string[] args, TextWriter output)
    {
        var cl = new CommandLine(args, "--force");
        cl.AllowOnly("--output", "--validators", "--chain-id", "--host", "--p2p-port", "--rpc-port", "--force");
        var dir = Path.GetFullPath(cl.Require("--output"));
        var n = cl.GetInt("--validators", 4);
        var chainId = cl.Get("--chain-id") ?? "dkms-testnet";
        var host = cl.Get("--host") ?? "127.0.0.1";
        var p2pPort = cl.GetInt("--p2p-port", 26656);
        var rpcPort = cl.GetInt("--rpc-port", 26657);
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
        };
        File.WriteAllText(genesisPath, genesis.ToJson());
        output.WriteLine($"testnet of {n} validators, chain '{chainId}', in {dir}");
        output.WriteLine($"genesis: {genesisPath}");
        for (var i = 0; i < n; i++) output.WriteLine($"node{i}: {Path.Combine(dir, $"node{i}", "node.json")}  p2p {validators[i].Address}  rpc http://{host}:{rpcPort + 10 * i}/");
        return 0;
    }
}
