using System.Buffers.Binary;
using System.Text;
using Dkms.Core.Primitives;
using Dkms.Storage;

namespace Dkms.Ledger.State;

/// <summary>
/// The ledger's keys. Everything under <see cref="AuthenticatedPrefix"/> ('s') is a leaf of the
/// state Merkle tree and so covered by the state root; the other prefixes are indexes and history
/// derived deterministically from committed blocks. The prefixes come from the store's one registry,
/// <see cref="StoreLayout"/>.
/// </summary>
public static class StateKeys
{
    /// <summary>'s': authenticated current state.</summary>
    public const byte AuthenticatedPrefix = StoreLayout.State;

    private const byte IdentityTag = (byte)'i';
    private const byte PolicyTag = (byte)'p';
    private const byte RetiredKeyTag = (byte)'k';
    private const byte ValidatorsTag = (byte)'v';
    private const byte ParametersTag = (byte)'c';

    private const byte EventPrefix = StoreLayout.Events;
    private const byte PolicyHistoryPrefix = StoreLayout.PolicyHistory;
    private const byte TxIndexPrefix = StoreLayout.TransactionIndex;
    private const byte HeightRootPrefix = StoreLayout.HeightRecords;
    private const byte ValidatorHistoryPrefix = StoreLayout.ValidatorHistory;
    private const byte EventCheckpointPrefix = StoreLayout.EventCheckpoints;
    private const byte PolicyCheckpointPrefix = StoreLayout.PolicyCheckpoints;

    public static readonly byte[] Authenticated = [AuthenticatedPrefix];

    /// <summary>s i &lt;id&gt; → <see cref="IdentityState"/>.</summary>
    public static byte[] Identity(IdentityId id) => Build([AuthenticatedPrefix, IdentityTag], id);

    /// <summary>s p &lt;owner&gt; &lt;policy id utf-8&gt; → <see cref="AgentPolicy"/>.</summary>
    public static byte[] Policy(IdentityId owner, string policyId) =>
        [.. Build([AuthenticatedPrefix, PolicyTag], owner), .. Encoding.UTF8.GetBytes(policyId)];

    /// <summary>s k &lt;owner&gt; &lt;key&gt; → <see cref="RetiredKeyRecord"/>.</summary>
    public static byte[] RetiredKey(IdentityId owner, PublicKey key) =>
        [.. Build([AuthenticatedPrefix, RetiredKeyTag], owner), .. key.ToArray()];

    /// <summary>s v → <see cref="ValidatorSetState"/>.</summary>
    public static readonly byte[] Validators = [AuthenticatedPrefix, ValidatorsTag];

    /// <summary>s c → the chain's <see cref="Dkms.Core.Genesis.LedgerParameters"/>, written at genesis and never changed.</summary>
    public static readonly byte[] Parameters = [AuthenticatedPrefix, ParametersTag];

    /// <summary>
    /// e &lt;height&gt; &lt;id&gt; &lt;sequence&gt; (numbers big-endian) → <see cref="EventRecord"/>. Keyed by height first so
    /// that each block's events land after every earlier block's: the store's in-memory table takes them at its
    /// end, where the search path is already in the cache, instead of at a random place among the events of every
    /// identity (≈ 2 µs each). An identity's events are found from its state (<c>UpdatedAtHeight</c>, <c>Sequence</c>:
    /// where its newest event is) and each event's <see cref="EventRecord.PreviousHeight"/>.
    /// </summary>
    public static byte[] Event(ulong height, IdentityId id, ulong sequence)
    {
        var k = new byte[1 + 8 + IdentityId.Size + 8];
        k[0] = EventPrefix;
        BinaryPrimitives.WriteUInt64BigEndian(k.AsSpan(1), height);
        id.CopyTo(k.AsSpan(9));
        BinaryPrimitives.WriteUInt64BigEndian(k.AsSpan(9 + IdentityId.Size), sequence);
        return k;
    }

    /// <summary>
    /// h &lt;height&gt; &lt;owner&gt; &lt;policy id utf-8&gt; → <see cref="PolicyVersion"/>: the policy as the block at that height
    /// left it. Height first for the same reason as <see cref="Event"/>; a policy's versions are found (by exact
    /// key, never by prefix) from its current <c>UpdatedAtHeight</c> and each version's <see cref="PolicyVersion.PreviousHeight"/>.
    /// </summary>
    public static byte[] PolicyHistory(ulong height, IdentityId owner, string policyId) =>
        [.. WithNumber([PolicyHistoryPrefix], height), .. owner.ToArray(), .. Encoding.UTF8.GetBytes(policyId)];

    /// <summary>
    /// Every this many events of an identity (and versions of a policy) the history keeps a checkpoint: the height of
    /// that event (version). Any event is then one checkpoint read and fewer than this many steps back from the next
    /// checkpoint, and the newest one at or below a height a binary search over the checkpoints and at most this many
    /// steps more. A checkpoint is one small entry under a random key per this many events, not one per event.
    /// </summary>
    public const int CheckpointInterval = 16;

    /// <summary>i &lt;id&gt; &lt;n&gt; (n big-endian) → the height (8 bytes, big-endian) of the identity's event n × <see cref="CheckpointInterval"/>.</summary>
    public static byte[] EventCheckpoint(IdentityId id, ulong n) => [.. Build([EventCheckpointPrefix], id), .. Number(n)];

    /// <summary>p &lt;owner&gt; &lt;n&gt; &lt;policy id utf-8&gt; → the height (8 bytes, big-endian) at which the policy's version
    /// n × <see cref="CheckpointInterval"/> (<see cref="AgentPolicy.Version"/>) was written.</summary>
    public static byte[] PolicyCheckpoint(IdentityId owner, string policyId, ulong n) =>
        [.. Build([PolicyCheckpointPrefix], owner), .. Number(n), .. Encoding.UTF8.GetBytes(policyId)];

    /// <summary>A checkpoint's value: the height, 8 bytes big-endian.</summary>
    public static byte[] CheckpointValue(ulong height) => Number(height);

    /// <summary>t &lt;tx hash&gt; → <see cref="TxLocation"/>.</summary>
    public static byte[] Tx(Hash32 hash) => [TxIndexPrefix, .. hash.ToArray()];

    /// <summary>r &lt;height&gt; → <see cref="HeightRecord"/>.</summary>
    public static byte[] HeightRoot(ulong height) => WithNumber([HeightRootPrefix], height);

    /// <summary>g &lt;activation height&gt; → the validator list in force from that height.</summary>
    public static byte[] ValidatorHistory(ulong fromHeight) => WithNumber([ValidatorHistoryPrefix], fromHeight);

    public static readonly byte[] ValidatorHistoryAll = [ValidatorHistoryPrefix];

    /// <summary>w &lt;commit height&gt; → <see cref="ValidatorChangeProof"/> of the change committed at that height.</summary>
    public static byte[] ValidatorChangeProof(ulong commitHeight) => WithNumber([StoreLayout.ValidatorChangeProofs], commitHeight);

    public static readonly byte[] ValidatorChangeProofsAll = [StoreLayout.ValidatorChangeProofs];

    public static readonly byte[] LastCommitted = StoreLayout.LastCommittedKey;

    /// <summary>m layout → the version of this key layout (<see cref="LayoutVersion"/>), one byte.</summary>
    public static readonly byte[] Layout = StoreLayout.LayoutKey;

    /// <summary>
    /// The key layout a store is written in (<see cref="StoreLayout.Version"/>). 4: the keys of 3, in a store kept with a
    /// synced-write mark from its creation (<see cref="StoreLayout.Version"/> says why that needs a version). 3: transactions indexed by their identifier (the hash of the signed
    /// body), the chain's parameters in state (<see cref="Parameters"/>), identity records with a pending recovery-policy
    /// change, history checkpoints (<see cref="EventCheckpoint"/>, <see cref="PolicyCheckpoint"/>) and policies that count
    /// their versions. 2 had none of these; it keyed events and policy versions by height (<see cref="Event"/>,
    /// <see cref="PolicyHistory"/>) as 3 does. Version 1, which has no record, keyed them by identity. A ledger refuses to
    /// open a store of another layout rather than answer from keys and records it was not written with.
    /// </summary>
    public const byte LayoutVersion = StoreLayout.Version;

    private static byte[] Build(byte[] prefix, IdentityId id)
    {
        var k = new byte[prefix.Length + IdentityId.Size];
        prefix.CopyTo(k, 0);
        id.CopyTo(k.AsSpan(prefix.Length));
        return k;
    }

    private static byte[] Number(ulong n)
    {
        var b = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(b, n);
        return b;
    }

    private static byte[] WithNumber(byte[] prefix, ulong n)
    {
        var k = new byte[prefix.Length + 8];
        prefix.CopyTo(k, 0);
        BinaryPrimitives.WriteUInt64BigEndian(k.AsSpan(prefix.Length), n);
        return k;
    }
}
