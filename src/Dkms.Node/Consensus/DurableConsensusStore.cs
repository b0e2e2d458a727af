using Dkms.Consensus;
using Dkms.Core.Encoding;
using Dkms.Core.Primitives;
using Dkms.Storage;

namespace Dkms.Node.Consensus;

/// <summary>
/// The consensus engine's crash-safety record on the node's key-value store (RocksDB in production):
/// every save is one synced batch, done before anything signed leaves the node, so a restarted validator
/// re-sends what it signed instead of signing something different. The record names its blocks by hash and
/// each block is written once (<see cref="PersistedStateLayout"/>), so a save is a few hundred bytes, not the
/// locked block and the proposal again.
/// </summary>
public sealed class DurableConsensusStore(IKeyValueStore store) : IConsensusStore
{
    private static readonly byte[] RecordKey = "x/consensus-record"u8.ToArray();
    private static readonly byte[] BlockPrefix = "x/consensus-block/"u8.ToArray();

    /// <summary>The whole state in one value, as written by earlier versions; read if no record exists, deleted by the save after that read.</summary>
    private static readonly byte[] LegacyStateKey = "x/consensus-state"u8.ToArray();

    private readonly PersistedStateLayout _layout = new();
    private bool _legacyLoaded;

    public void Save(PersistedState state)
    {
        var changes = _layout.Plan(state);
        var batch = new WriteBatch();
        foreach (var (hash, bytes) in changes.NewBlocks) batch.Put(BlockKey(hash), bytes);
        foreach (var hash in changes.DroppedBlocks) batch.Delete(BlockKey(hash));
        batch.Put(RecordKey, changes.Record);
        if (_legacyLoaded) batch.Delete(LegacyStateKey);
        store.Write(batch, sync: true);
        _layout.Written(changes);
        _legacyLoaded = false;
    }

    public PersistedState? Load()
    {
        // Written only by this node; if it no longer decodes the data directory is damaged, and signing
        // without knowing what was signed before could double-sign: refuse to go on.
        var record = store.Get(RecordKey);
        if (record is not null)
        {
            return _layout.TryRestore(record, hash => store.Get(BlockKey(hash)), out var state, out var why)
                ? state
                : throw new StorageException($"the persisted consensus state does not restore ({why}); refusing to start without it");
        }

        var legacy = store.Get(LegacyStateKey);
        if (legacy is null) return null;
        _legacyLoaded = true;
        return Codec.TryDecode<PersistedState>(legacy, out var old, out var error)
            ? old
            : throw new StorageException($"the persisted consensus state does not decode ({error}); refusing to start without it");
    }

    private static byte[] BlockKey(Hash32 hash)
    {
        var key = new byte[BlockPrefix.Length + Hash32.Size];
        BlockPrefix.CopyTo(key, 0);
        hash.CopyTo(key.AsSpan(BlockPrefix.Length));
        return key;
    }
}
