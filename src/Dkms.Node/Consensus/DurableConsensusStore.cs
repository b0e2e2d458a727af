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
/// <remarks>
/// The record and the ledger move together: the commit batch of block h also writes the record of height h + 1
/// with nothing signed (<see cref="AddNextHeight"/>), so the record is never older than the ledger unless the data
/// directory was damaged — which <see cref="CheckAgainstLedger"/> refuses at start.
/// </remarks>
public sealed class DurableConsensusStore(IKeyValueStore store) : IConsensusStore
{
    private static readonly byte[] RecordKey = StoreLayout.ConsensusRecordKey;
    private static readonly byte[] BlockPrefix = StoreLayout.ConsensusBlockPrefix;

    /// <summary>The whole state in one value, as written by earlier versions; read if no record exists, deleted by the save after that read.</summary>
    private static readonly byte[] LegacyStateKey = StoreLayout.LegacyConsensusStateKey;

    private readonly PersistedStateLayout _layout = new();
    private bool _legacyLoaded;

    public void Save(PersistedState state)
    {
        var batch = new WriteBatch();
        var changes = Add(batch, state);
        store.Write(batch, sync: true);
        Written(changes);
    }

    /// <summary>Adds to <paramref name="batch"/> (a block's commit batch) the record of <paramref name="height"/> with
    /// nothing signed yet: what the engine holds when it enters that height. Call <see cref="Written"/> once the batch
    /// is durable.</summary>
    public PersistedStateLayout.Changes AddNextHeight(WriteBatch batch, ulong height) =>
        Add(batch, new PersistedState(height, 0, Step.Propose, -1, null, -1, null, [], []));

    /// <summary>The batch holding <paramref name="changes"/> is durable.</summary>
    public void Written(PersistedStateLayout.Changes changes)
    {
        _layout.Written(changes);
        _legacyLoaded = false;
    }

    /// <summary>
    /// Refuses a record that disagrees with the ledger at <paramref name="ledgerHeight"/>: missing, older than the
    /// next height (the validator would not know what it signed there), or ahead of it (the ledger lost blocks).
    /// </summary>
    public void CheckAgainstLedger(ulong ledgerHeight)
    {
        var bytes = store.Get(RecordKey);
        if (bytes is null)
        {
            throw new StorageCorruptionException(
                $"the consensus record is missing, but the ledger is at height {ledgerHeight}: what this validator signed is " +
                "unknown, and signing again could sign twice");
        }

        if (!Codec.TryDecode<PersistedRecord>(bytes, out var record, out var error))
        {
            throw new StorageCorruptionException($"the consensus record does not decode ({error})");
        }

        var next = ledgerHeight + 1;
        if (record!.Height < next)
        {
            throw new StorageCorruptionException(
                $"the consensus record (height {record.Height}) is older than the ledger (height {ledgerHeight}): it was rolled " +
                "back or replaced, and what this validator signed since is unknown");
        }

        if (record.Height > next)
        {
            throw new StorageCorruptionException(
                $"the consensus record (height {record.Height}) is ahead of the ledger (height {ledgerHeight}): the ledger lost committed blocks");
        }
    }

    /// <summary>True when the store holds a consensus record (of any height).</summary>
    public bool HasRecord => store.Get(RecordKey) is not null;

    private PersistedStateLayout.Changes Add(WriteBatch batch, PersistedState state)
    {
        var changes = _layout.Plan(state);
        foreach (var (hash, bytes) in changes.NewBlocks) batch.Put(BlockKey(hash), bytes);
        foreach (var hash in changes.DroppedBlocks) batch.Delete(BlockKey(hash));
        batch.Put(RecordKey, changes.Record);
        if (_legacyLoaded) batch.Delete(LegacyStateKey);
        return changes;
    }

    public PersistedState? Load()
    {
        // Written only by this node; if it no longer decodes the data directory is damaged, and signing
        // without knowing what was signed before could double-sign: refuse to go on.
        var record = store.Get(RecordKey);
        if (record is not null)
        {
            if (!_layout.TryRestore(record, hash => store.Get(BlockKey(hash)), out var state, out var why))
            {
                throw new StorageCorruptionException($"the persisted consensus state does not restore ({why}); refusing to start without it");
            }

            // A height entered with nothing signed (as a commit batch writes it) starts as a fresh height does:
            // waiting for transactions rather than resuming a round.
            return IsUntouched(state!) ? null : state;
        }

        var legacy = store.Get(LegacyStateKey);
        if (legacy is null) return null;
        _legacyLoaded = true;
        return Codec.TryDecode<PersistedState>(legacy, out var old, out var error)
            ? old
            : throw new StorageCorruptionException($"the persisted consensus state does not decode ({error}); refusing to start without it");
    }

    private static bool IsUntouched(PersistedState s) =>
        s.Round == 0 && s.Step == Step.Propose && s.LockedRound < 0 && s.ValidRound < 0 && s.SignedVotes.Count == 0 && s.SignedProposals.Count == 0;

    private static byte[] BlockKey(Hash32 hash)
    {
        var key = new byte[BlockPrefix.Length + Hash32.Size];
        BlockPrefix.CopyTo(key, 0);
        hash.CopyTo(key.AsSpan(BlockPrefix.Length));
        return key;
    }
}
