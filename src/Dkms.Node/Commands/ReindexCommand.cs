using Dkms.Core.Genesis;
using Dkms.Node.Maintenance;
using Dkms.Storage;

namespace Dkms.Node.Commands;

/// <summary>
/// <c>dkms-node reindex</c>: rebuilds the ledger store's state tree, history and indexes from its blocks and certificates
/// (<see cref="DataDirectoryRebuild"/>). The node must be stopped (the store's lock refuses a running node's).
/// </summary>
internal static class ReindexCommand
{
    public static int Run(string[] args, TextWriter output)
    {
        var settings = RunCommand.LoadSettings(args);
        var genesis = GenesisDocument.Load(settings.GenesisFile);
        var path = DataDirectoryRebuild.LedgerPath(settings.DataDir);
        DataDirectoryRebuild.FinishInterruptedSwap(settings.DataDir);
        if (!File.Exists(Path.Combine(path, "CURRENT"))) throw new NodeConfigurationException($"there is no ledger store in {path}");

        // A store without its synced-write mark cannot show that it lost no writes: its consensus record may be older than
        // what the validator signed, so the rebuilt store holds signing until the node has caught up (docs/node.md).
        var unmarked = !RocksDbStore.HasSyncedWriteMark(path);
        output.WriteLine($"reindex: rebuilding {path} from its blocks and certificates{(unmarked ? " (no synced-write mark: the node will hold signing until it has caught up)" : "")}");
        var (height, kept) = DataDirectoryRebuild.Run(settings.DataDir, genesis, holdSigning: unmarked, p => output.WriteLine(Describe(p)), TimeProvider.System);
        output.WriteLine($"reindex: done, height {height}. The store as it was is kept in {kept}; delete it once the node runs.");
        return 0;
    }

    internal static string Describe(RebuildProgress p) =>
        $"reindex: height {p.Height} of {p.Last} ({p.HeightsPerSecond:F0} heights/s)";
}
