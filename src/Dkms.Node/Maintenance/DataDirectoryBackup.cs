using System.Text.Json;
using Dkms.Core.Encoding;
using Dkms.Ledger.State;
using Dkms.Storage;

namespace Dkms.Node.Maintenance;

/// <summary>What a backup holds, written beside it as <see cref="DataDirectoryBackup.InfoFile"/>.</summary>
public sealed record BackupInfo(string ChainId, ulong Height, string StateRoot, string NodeKey, byte LayoutVersion, DateTimeOffset TakenAt);

/// <summary>
/// Backup and restore of a node's ledger store. A backup is a RocksDB checkpoint of the running node's store — one
/// consistent moment, taken while the node commits — in <c>DIR/ledger</c>, with <see cref="InfoFile"/> beside it. The node
/// key is not in it (it is a secret: back it up apart), nor the pending journal (its transactions were acknowledged
/// after the moment of the backup, or will be re-sent by their clients). Restoring puts the store into an empty data
/// directory with the signing hold set (<see cref="StoreLayout.SigningHoldKey"/>): the consensus record in a backup
/// is as old as the backup, and the validator may have signed at later heights since.
/// </summary>
public static class DataDirectoryBackup
{
    public const string InfoFile = "DKMS-BACKUP.json";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>Takes a backup of the running node's <paramref name="store"/> into <paramref name="directory"/>, which must not exist.</summary>
    public static BackupInfo Take(IKeyValueStore store, string directory, string chainId, string nodeKey, TimeProvider time)
    {
        if (store is not RocksDbStore rocks) throw new InvalidOperationException("this node keeps its store in memory: there is nothing on disk to back up");
        if (!Path.IsPathFullyQualified(directory)) throw new ArgumentException($"the backup directory must be an absolute path, got '{directory}'");
        if (Directory.Exists(directory) || File.Exists(directory)) throw new ArgumentException($"{directory} exists; a backup goes into a new directory");
        Directory.CreateDirectory(directory);
        var ledger = Path.Combine(directory, StoreLayout.LedgerDirectory);
        rocks.Checkpoint(ledger);

        // The height and root as the copy holds them (the node went on committing while it was taken).
        HeightRecord? record;
        using (var copy = RocksDbStore.OpenToRebuild(ledger))
        {
            record = copy.Get(StoreLayout.LastCommittedKey) is { } bytes ? Codec.Decode<HeightRecord>(bytes) : null;
        }

        var info = new BackupInfo(chainId, record?.Height ?? 0, record?.StateRoot.ToHex() ?? "", nodeKey, StoreLayout.Version, time.GetUtcNow());
        File.WriteAllText(Path.Combine(directory, InfoFile), JsonSerializer.Serialize(info, Json));
        return info;
    }

    /// <summary>
    /// Restores the backup in <paramref name="from"/> into <paramref name="dataDir"/>, which must hold no store (a node key
    /// and config may be there). The copy is opened once as the node would open it (synced-write mark, checksums) and gets
    /// the signing hold.
    /// </summary>
    public static BackupInfo Restore(string from, string dataDir)
    {
        var infoPath = Path.Combine(from, InfoFile);
        var source = Path.Combine(from, StoreLayout.LedgerDirectory);
        if (!File.Exists(infoPath) || !Directory.Exists(source)) throw new ArgumentException($"{from} is not a backup (no {InfoFile} or {StoreLayout.LedgerDirectory}/)");
        var info = JsonSerializer.Deserialize<BackupInfo>(File.ReadAllText(infoPath)) ?? throw new ArgumentException($"{infoPath} is empty");
        foreach (var name in new[] { StoreLayout.LedgerDirectory, StoreLayout.JournalDirectory })
        {
            var existing = Path.Combine(dataDir, name);
            if (Directory.Exists(existing) && Directory.EnumerateFileSystemEntries(existing).Any())
            {
                throw new ArgumentException($"the data directory {dataDir} holds a store ({existing}): restore only into an empty data directory " +
                    "(move the old one aside first)");
            }
        }

        var target = Path.Combine(dataDir, StoreLayout.LedgerDirectory);
        Directory.CreateDirectory(target);
        foreach (var file in Directory.EnumerateFiles(source))
        {
            var name = Path.GetFileName(file);
            if (name is "LOCK" or "LOG" || name.StartsWith("LOG.old", StringComparison.Ordinal)) continue;
            File.Copy(file, Path.Combine(target, name));
        }

        using (var store = RocksDbStore.Open(target))
        {
            store.Write(new WriteBatch().Put(StoreLayout.SigningHoldKey, [1]), sync: true);
        }

        return info;
    }

    /// <summary>Releases the signing hold of the (stopped) node's store by hand: for a chain that cannot reach the hold's
    /// floor without this validator (docs/node.md, "Restore"). True when there was a hold.</summary>
    public static bool ReleaseHold(string dataDir)
    {
        using var store = RocksDbStore.Open(DataDirectoryRebuild.LedgerPath(dataDir));
        if (store.Get(StoreLayout.SigningHoldKey) is null) return false;
        store.Write(new WriteBatch().Delete(StoreLayout.SigningHoldKey), sync: true);
        return true;
    }
}
