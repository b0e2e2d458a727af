using Dkms.Client;
using Dkms.Node.Maintenance;
using Dkms.Node.Rpc;

namespace Dkms.Node.Commands;

/// <summary>
/// <c>dkms-node backup</c> asks the running node (over its loopback RPC) for a checkpoint of its store;
/// <c>dkms-node restore</c> puts a backup into an empty data directory of a stopped node; <c>dkms-node release-signing-hold</c>
/// ends a restored node's signing hold by hand (docs/node.md, "Backup and restore").
/// </summary>
internal static class BackupCommand
{
    public static async Task<int> BackupAsync(string[] args, TextWriter output)
    {
        var cl = new CommandLine(args);
        cl.AllowOnly("--to", "--rpc");
        var to = Path.GetFullPath(cl.Require("--to"));
        var rpc = new Uri(cl.Get("--rpc") ?? "http://127.0.0.1:26657/");
        using var client = new DkmsRpcClient(rpc);
        BackupInfo info;
        try
        {
            info = await client.CallAsync<BackupInfo>(AdminRpc.Backup, new AdminRpc.BackupParams(to)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RpcException or HttpRequestException)
        {
            Console.Error.WriteLine($"dkms-node backup: {e.Message}");
            return 3;
        }

        output.WriteLine($"backup of chain {info.ChainId} at height {info.Height} (state root {info.StateRoot}) written to {to}");
        output.WriteLine("The node key is not in it: keep a copy of node_key.json apart.");
        return 0;
    }

    public static int Restore(string[] args, TextWriter output)
    {
        var cl = new CommandLine(args);
        cl.AllowOnly("--from", "--data-dir");
        var dataDir = cl.Require("--data-dir");
        var info = DataDirectoryBackup.Restore(cl.Require("--from"), dataDir);
        output.WriteLine($"restored chain {info.ChainId} at height {info.Height} (taken {info.TakenAt:u}) into {dataDir}.");
        output.WriteLine("The node catches up from its peers when started. It signs again only once it has caught up past every height");
        output.WriteLine("it may have signed since the backup (docs/node.md, \"Backup and restore\").");
        return 0;
    }

    public static int ReleaseHold(string[] args, TextWriter output)
    {
        var cl = new CommandLine(args);
        cl.AllowOnly("--data-dir");
        var released = DataDirectoryBackup.ReleaseHold(cl.Require("--data-dir"));
        output.WriteLine(released ? "signing hold released: the node signs from its next height when started" : "there was no signing hold");
        return 0;
    }
}
