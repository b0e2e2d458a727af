namespace Dkms.Storage;

/// <summary>
/// The one registry of what a node keeps where (issue 18 §5): every key prefix of the ledger store
/// (<c>&lt;data&gt;/ledger</c>), of the pending journal's store (<c>&lt;data&gt;/pending</c>) and the files beside them.
/// The code that writes a region takes its prefix from here; <see cref="Regions"/> says which regions are the source
/// of truth and which are derived from it (and so rebuilt by <c>dkms-node reindex</c>). A new region is added here
/// first; <c>StoreLayoutTests</c> checks that no two regions' prefixes overlap.
/// </summary>
public static class StoreLayout
{
    /// <summary>
    /// The layout version recorded under <see cref="LayoutKey"/>. 4: the keys of 3, written only by builds that keep the
    /// synced-write mark (<see cref="SyncedWriteMarkFile"/>) from the store's creation, so a layout-4 store without a
    /// mark lost it (and is refused, docs/security.md). 3 (the layout before): the same keys, written with or without
    /// a mark — a layout-3 store without one came from a build before the mark and is rebuilt from its certified blocks
    /// when the node starts (docs/node.md, "Upgrade"). Versions 2 and 1 are read only by that rebuild, which takes
    /// nothing from them but blocks, certificates and the node's own records (<see cref="NodeRecords"/>).
    /// </summary>
    public const byte Version = 4;

    /// <summary>The newest layout whose stores may lack a synced-write mark (written before the mark existed).</summary>
    public const byte LastUnmarkedVersion = 3;

    // Ledger store, one-byte prefixes.
    /// <summary>'s': authenticated state, the leaves of the state tree (derived).</summary>
    public const byte State = (byte)'s';

    /// <summary>'e': identity events by height (derived history).</summary>
    public const byte Events = (byte)'e';

    /// <summary>'h': policy versions by height (derived history).</summary>
    public const byte PolicyHistory = (byte)'h';

    /// <summary>'i': checkpoints of identity histories (derived index).</summary>
    public const byte EventCheckpoints = (byte)'i';

    /// <summary>'p': checkpoints of policy histories (derived index).</summary>
    public const byte PolicyCheckpoints = (byte)'p';

    /// <summary>'t': transaction hash → height and index (derived index).</summary>
    public const byte TransactionIndex = (byte)'t';

    /// <summary>'r': height → state root, block time, transaction count (derived).</summary>
    public const byte HeightRecords = (byte)'r';

    /// <summary>'g': validator sets by the height they take effect (derived).</summary>
    public const byte ValidatorHistory = (byte)'g';

    /// <summary>'w': each validator-set change's proof — the validator-set record and its Merkle path at the height the
    /// change committed (derived), so a client can follow the set after the node no longer keeps that height's tree.</summary>
    public const byte ValidatorChangeProofs = (byte)'w';

    /// <summary>'m': metadata — the last committed height (derived), the layout version, the signing hold.</summary>
    public const byte Meta = (byte)'m';

    /// <summary>'b': committed blocks by height — source of truth.</summary>
    public const byte Blocks = (byte)'b';

    /// <summary>'c': commit certificates by height — source of truth.</summary>
    public const byte Certificates = (byte)'c';

    /// <summary>'x': this node's own records (chain id, consensus record): not derivable from the chain, kept as they are
    /// by a rebuild.</summary>
    public const byte NodeRecords = (byte)'x';

    /// <summary>m layout → <see cref="Version"/>, one byte.</summary>
    public static readonly byte[] LayoutKey = [Meta, .. "layout"u8];

    /// <summary>m last → the record of the last committed height.</summary>
    public static readonly byte[] LastCommittedKey = [Meta, .. "last"u8];

    /// <summary>m signing-hold → present after a restore or an upgrade that rebuilt the store: the validator does not
    /// sign until it has caught up past every height it may have signed before (docs/node.md, "Restore").</summary>
    public static readonly byte[] SigningHoldKey = [Meta, .. "signing-hold"u8];

    /// <summary>x/chain-id → the chain id of the genesis the store was started with.</summary>
    public static readonly byte[] ChainIdKey = "x/chain-id"u8.ToArray();

    /// <summary>x/consensus-record → the validator's crash-safety record (what it signed at its current height).</summary>
    public static readonly byte[] ConsensusRecordKey = "x/consensus-record"u8.ToArray();

    /// <summary>x/consensus-block/&lt;hash&gt; → a block the consensus record names.</summary>
    public static readonly byte[] ConsensusBlockPrefix = "x/consensus-block/"u8.ToArray();

    /// <summary>x/consensus-state → the consensus record as versions before the split record wrote it (read once).</summary>
    public static readonly byte[] LegacyConsensusStateKey = "x/consensus-state"u8.ToArray();

    // Pending journal store (<data>/pending).
    /// <summary>pending/&lt;n&gt; → an acknowledged transaction not yet committed or refused.</summary>
    public static readonly byte[] JournalPendingPrefix = "pending/"u8.ToArray();

    /// <summary>rejected/&lt;n&gt; → a refusal of an acknowledged transaction, kept for <c>tx.status</c>.</summary>
    public static readonly byte[] JournalRejectedPrefix = "rejected/"u8.ToArray();

    // Files and directories.
    /// <summary>The ledger store's directory under the data directory.</summary>
    public const string LedgerDirectory = "ledger";

    /// <summary>The pending journal store's directory under the data directory.</summary>
    public const string JournalDirectory = "pending";

    /// <summary>The synced-write mark beside each store's RocksDB files (written by Dkms.Storage, which this schema does not
    /// reference; <c>OlderLayoutTests</c> checks that a store it writes has its mark under this name).</summary>
    public const string SyncedWriteMarkFile = "DKMS-SYNCED-SEQUENCE";

    /// <summary>What a region of the ledger store is.</summary>
    public enum Kind
    {
        /// <summary>Blocks and certificates: everything else is computed from them.</summary>
        SourceOfTruth,

        /// <summary>Computed from the blocks; <c>dkms-node reindex</c> rebuilds it.</summary>
        Derived,

        /// <summary>The node's own records: not on the chain, copied by a rebuild as they are.</summary>
        NodeOwned,
    }

    /// <summary>A region of the ledger store: its name, its key prefix and what it is.</summary>
    public sealed record Region(string Name, byte[] Prefix, Kind Kind);

    /// <summary>Every region of the ledger store.</summary>
    public static readonly IReadOnlyList<Region> Regions =
    [
        new("state tree leaves", [State], Kind.Derived),
        new("identity events", [Events], Kind.Derived),
        new("policy versions", [PolicyHistory], Kind.Derived),
        new("event checkpoints", [EventCheckpoints], Kind.Derived),
        new("policy checkpoints", [PolicyCheckpoints], Kind.Derived),
        new("transaction index", [TransactionIndex], Kind.Derived),
        new("height records", [HeightRecords], Kind.Derived),
        new("validator history", [ValidatorHistory], Kind.Derived),
        new("validator change proofs", [ValidatorChangeProofs], Kind.Derived),
        new("metadata", [Meta], Kind.Derived),
        new("blocks", [Blocks], Kind.SourceOfTruth),
        new("certificates", [Certificates], Kind.SourceOfTruth),
        new("node records", [NodeRecords], Kind.NodeOwned),
    ];

    /// <summary>The region <paramref name="key"/> belongs to, or null for a key outside every region.</summary>
    public static Region? RegionOf(ReadOnlySpan<byte> key)
    {
        foreach (var r in Regions)
        {
            if (key.StartsWith(r.Prefix)) return r;
        }

        return null;
    }

    /// <summary>The key of height <paramref name="height"/> in a region keyed by height (blocks, certificates).</summary>
    public static byte[] HeightKey(byte prefix, ulong height)
    {
        var k = new byte[9];
        k[0] = prefix;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(k.AsSpan(1), height);
        return k;
    }
}
