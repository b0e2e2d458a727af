using System.Globalization;
using Dkms.Core.Genesis;
using Dkms.Storage;

namespace Dkms.Node.Maintenance;

/// <summary>
/// Rebuilds a data directory's ledger store (<c>&lt;data&gt;/ledger</c>) from its blocks: <c>dkms-node reindex</c>, and the
/// upgrade a node runs by itself on a store of an older layout. The new store is built beside the old one
/// (<c>ledger.rebuild</c>), marked complete, then moved in place; the old one is kept as <c>ledger.before-rebuild-&lt;time&gt;</c>
/// until the operator deletes it. A rebuild cut short is started again; one cut between the two moves is finished at the
/// next start (<see cref="FinishInterruptedSwap"/>).
/// </summary>
public static class DataDirectoryRebuild
{
    private const string CompleteFile = "DKMS-REBUILD-COMPLETE";

    public static string LedgerPath(string dataDir) => Path.Combine(dataDir, StoreLayout.LedgerDirectory);

    /// <summary>Why the ledger store in <paramref name="dataDir"/> must be rebuilt before the node opens it, or null: a store
    /// of layout <see cref="StoreLayout.LastUnmarkedVersion"/> or older without a synced-write mark (written before the
    /// mark existed). A store of the current layout without a mark is not this: it lost its mark, and opening refuses it.</summary>
    public static string? OlderLayout(string dataDir)
    {
        var path = LedgerPath(dataDir);
        if (!File.Exists(Path.Combine(path, "CURRENT")) || RocksDbStore.HasSyncedWriteMark(path)) return null;
        using var store = RocksDbStore.OpenToRebuild(path);
        var layout = store.Get(StoreLayout.LayoutKey);
        if (layout is [> StoreLayout.LastUnmarkedVersion]) return null;
        var blocks = LedgerRebuild.LastBlockHeight(store);
        return $"the store has key layout {(layout is [var v] ? v.ToString(CultureInfo.InvariantCulture) : "1 (no layout record)")} and no synced-write mark " +
            $"(written by a version before layout {StoreLayout.Version}); it holds {blocks} blocks";
    }

    /// <summary>
    /// Rebuilds the ledger store of <paramref name="dataDir"/> from its blocks and certificates. With
    /// <paramref name="holdSigning"/> the rebuilt store carries the signing hold (<see cref="StoreLayout.SigningHoldKey"/>):
    /// the validator's consensus record came from a store that cannot show it lost no writes, so what the validator
    /// signed last may be missing from it. Returns the height reached and where the old store was kept.
    /// </summary>
    public static (ulong Height, string KeptAt) Run(string dataDir, GenesisDocument genesis, bool holdSigning, Action<RebuildProgress>? progress,
        TimeProvider time)
    {
        FinishInterruptedSwap(dataDir);
        var path = LedgerPath(dataDir);
        var building = path + ".rebuild";
        if (Directory.Exists(building)) Directory.Delete(building, recursive: true);
        ulong height;
        using (var source = RocksDbStore.OpenToRebuild(path))
        using (var target = RocksDbStore.Open(building, new RocksDbStoreOptions { VerifyChecksumsAtOpen = false }))
        {
            // A hold not yet released stays: the metadata region it lives in is rebuilt, not copied.
            holdSigning |= source.Get(StoreLayout.SigningHoldKey) is not null;
            height = LedgerRebuild.Replay(source, target, genesis, progress);
            if (holdSigning) HoldSigning(target, height);
        }

        File.WriteAllText(Path.Combine(building, CompleteFile), $"rebuilt to height {height}\n");
        var kept = $"{path}.before-rebuild-{time.GetUtcNow():yyyyMMdd'T'HHmmss'Z'}";
        Directory.Move(path, kept);
        Directory.Move(building, path);
        File.Delete(Path.Combine(path, CompleteFile));
        return (height, kept);
    }

    /// <summary>
    /// Sets the signing hold and starts the consensus record afresh at the height after <paramref name="height"/>. The
    /// copied record cannot be trusted (it may be older than what the validator signed, or, from a version that did not
    /// move it with each commit, of a committed height); the hold, not the record, keeps the validator from signing twice.
    /// </summary>
    private static void HoldSigning(IKeyValueStore target, ulong height)
    {
        var batch = new WriteBatch();
        foreach (var (key, _) in target.Scan(StoreLayout.ConsensusBlockPrefix)) batch.Delete(key);
        batch.Delete(StoreLayout.LegacyConsensusStateKey);
        new Consensus.DurableConsensusStore(target).AddNextHeight(batch, height + 1);
        batch.Put(StoreLayout.SigningHoldKey, [1]);
        target.Write(batch, sync: true);
    }

    /// <summary>A rebuild that stopped after moving the old store aside and before moving the new one in: finish it.</summary>
    public static void FinishInterruptedSwap(string dataDir)
    {
        var path = LedgerPath(dataDir);
        var building = path + ".rebuild";
        if (Directory.Exists(path) || !File.Exists(Path.Combine(building, CompleteFile))) return;
        Directory.Move(building, path);
        File.Delete(Path.Combine(path, CompleteFile));
    }
}
