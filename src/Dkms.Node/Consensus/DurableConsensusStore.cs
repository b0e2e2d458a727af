using Dkms.Consensus;
using Dkms.Core.Encoding;
using Dkms.Storage;

namespace Dkms.Node.Consensus;

/// <summary>
/// The consensus engine's crash-safety record on the node's key-value store (RocksDB in production):
/// every save is a synced single-key write, done before anything signed leaves the node, so a
/// restarted validator re-sends what it signed instead of signing something different.
/// </summary>
public sealed class DurableConsensusStore(IKeyValueStore store) : IConsensusStore
{
    private static readonly byte[] Key = "x/consensus-state"u8.ToArray();

    public void Save(PersistedState state) => store.Write(new WriteBatch().Put(Key, Codec.Encode(state)), sync: true);

    public PersistedState? Load()
    {
        var bytes = store.Get(Key);
        if (bytes is null) return null;
        // Written only by this node; if it no longer decodes the data directory is damaged, and signing
        // without knowing what was signed before could double-sign: refuse to go on.
        return Codec.TryDecode<PersistedState>(bytes, out var state, out var why)
            ? state
            : throw new StorageException($"the persisted consensus state does not decode ({why}); refusing to start without it");
    }
}
