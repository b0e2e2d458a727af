using System.Text.Json;
using System.Text.Json.Nodes;
using Dkms.Node.Networking;

namespace Dkms.Node.Commands;

internal static class InitCommand
{
    public static int Run(string[] args, TextWriter output)
    {
        var cl = new CommandLine(args, "--observer", "--peers-only");
        cl.AllowOnly("--data-dir", "--observer", "--genesis", "--peers", "--peers-only", "--p2p", "--rpc");
        var dataDir = Path.GetFullPath(cl.Require("--data-dir"));
        if (cl.Has("--observer")) return InitObserver(cl, dataDir, output);
        if (cl.Has("--peers") || cl.Has("--genesis") || cl.Has("--peers-only")) throw new ArgumentException("--genesis, --peers and --peers-only go with --observer");
        Directory.CreateDirectory(dataDir);
        var keyFile = Path.Combine(dataDir, "node_key.json");
        if (File.Exists(keyFile))
        {
            output.WriteLine($"node key exists: {keyFile}");
            output.WriteLine($"public key: {NodeKeyFile.Load(keyFile).PublicKey.ToHex()}");
            return 0;
        }

        var key = NodeKeyFile.Create(keyFile);
        output.WriteLine($"created node key: {keyFile}");
        output.WriteLine($"public key: {key.ToHex()}");
        return 0;
    }

    /// <summary>An observer (docs/node.md, "Observers"): its own node key, and DIR/node.json naming the genesis, the peers it
    /// follows (and whether it follows the validators of the committed set too: unless --peers-only) and its listen
    /// addresses; <c>dkms-node run --config DIR/node.json</c> starts it.</summary>
    private static int InitObserver(CommandLine cl, string dataDir, TextWriter output)
    {
        var genesis = Path.GetFullPath(cl.Require("--genesis"));
        if (!File.Exists(genesis)) throw new ArgumentException($"genesis {genesis} not found");
        var peersOnly = cl.Has("--peers-only");
        var peers = (peersOnly ? cl.Require("--peers") : cl.Get("--peers") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (peersOnly && peers.Length == 0) throw new ArgumentException("--peers-only needs at least one peer in --peers");
        ObserverPeers.Parse(peers); // refuses a malformed entry now rather than at the first run
        Directory.CreateDirectory(dataDir);
        var keyFile = Path.Combine(dataDir, "node_key.json");
        var key = File.Exists(keyFile) ? NodeKeyFile.Load(keyFile).PublicKey : NodeKeyFile.Create(keyFile);
        var config = new JsonObject
        {
            ["Node"] = new JsonObject
            {
                ["DataDir"] = Path.Combine(dataDir, "data"),
                ["GenesisFile"] = genesis,
                ["NodeKeyFile"] = keyFile,
                ["P2PListen"] = cl.Get("--p2p") ?? "0.0.0.0:26656",
                ["RpcListen"] = cl.Get("--rpc") ?? "127.0.0.1:26657",
                ["Observer"] = new JsonObject
                {
                    ["Enabled"] = true,
                    ["Peers"] = new JsonArray([.. peers.Select(p => JsonValue.Create(p))]),
                    ["FollowValidators"] = !peersOnly,
                },
            },
            ["Logging"] = new JsonObject { ["LogLevel"] = new JsonObject { ["Default"] = "Information" } },
        };
        var configFile = Path.Combine(dataDir, "node.json");
        File.WriteAllText(configFile, config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        output.WriteLine($"observer node key: {keyFile}");
        output.WriteLine($"public key: {key.ToHex()}");
        output.WriteLine($"config: {configFile} (run: dkms-node run --config {configFile})");
        return 0;
    }

    public static int ShowKey(string[] args, TextWriter output)
    {
        var cl = new CommandLine(args);
        cl.AllowOnly("--data-dir", "--node-key");
        var file = cl.Get("--node-key") ?? Path.Combine(cl.Require("--data-dir"), "node_key.json");
        output.WriteLine(NodeKeyFile.Load(file).PublicKey.ToHex());
        return 0;
    }
}
