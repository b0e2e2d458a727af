using System.Net;
using Dkms.Node.Maintenance;
using Dkms.Rpc;
using Dkms.Storage;

namespace Dkms.Node.Rpc;

/// <summary>
/// Administrative RPC methods, answered only to connections from the node's own machine (loopback): <c>admin.backup</c>
/// writes a consistent checkpoint of the running node's store (the node holds the store's lock, so only it can). A
/// state-changing method: at merge it goes behind the RPC bearer token as well (docs/rpc.md, "admin.backup").
/// </summary>
public sealed class AdminRpc(IBackupSide backups)
{
    public const string Backup = "admin.backup";

    private static readonly AsyncLocal<bool> FromLoopback = new();

    /// <summary>Called by the HTTP endpoint before it dispatches a request: whether the connection is from this machine.</summary>
    public static void SetCaller(IPAddress? remote) => FromLoopback.Value = remote is not null && IPAddress.IsLoopback(remote);

    public sealed record BackupParams(string Directory);

    public void Register(JsonRpcDispatcher d) => d.Add<BackupParams, BackupInfo>(Backup, (p, ct) => Task.Run(() => TakeBackup(p), ct));

    private BackupInfo TakeBackup(BackupParams p)
    {
        if (!FromLoopback.Value) throw new RpcError(RpcErrorCodes.InvalidRequest, $"{Backup} is answered only on a loopback connection (run dkms-node backup on the node's machine)");
        if (string.IsNullOrWhiteSpace(p?.Directory)) throw new RpcError(RpcErrorCodes.InvalidParams, "directory is required (an absolute path on the node's machine)");
        try
        {
            return backups.Backup(p.Directory);
        }
        catch (ArgumentException e)
        {
            throw new RpcError(RpcErrorCodes.InvalidParams, e.Message);
        }
        catch (InvalidOperationException e)
        {
            throw new RpcError(RpcErrorCodes.Unavailable, e.Message);
        }
        catch (Exception e) when (e is StorageException or IOException or UnauthorizedAccessException)
        {
            throw new RpcError(RpcErrorCodes.Unavailable, $"the backup failed: {e.Message}");
        }
    }
}
