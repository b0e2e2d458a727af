using Dkms.Core.Encoding;
using Dkms.Core.Primitives;
using Dkms.Core.Transactions;
using Dkms.Ledger.State;
using Dkms.Storage;

namespace Dkms.Ledger;

/// <summary>Whether a signing key of an identity was good at a height.</summary>
public enum KeyValidity
{
    Valid,
    /// <summary>The key was an identity's signing key then, but the owner has since said it was compromised from that height or earlier.</summary>
    Compromised,
    NotASigningKey,
    UnknownIdentity,
    /// <summary>The key was the identity's, but the identity was deactivated at or before that height: nothing signed
    /// for it from then on counts. (At a height before the deactivation the key answers as it did then.)</summary>
    Deactivated,
}

/// <summary>The answer to "may this agent do this for this owner?".</summary>
public sealed record AuthorizationResult(bool Authorized, AgentRights Rights, string Reason);

public sealed partial class DkmsLedger
{
    /// <summary>Current key state, or null.</summary>
    public IdentityState? GetIdentity(IdentityId id) =>
        _identities is null ? ReadIdentity(id) : _identities.GetOrRead(id, _identities.Height, ReadIdentity);

    /// <summary>The last committed sequence of <paramref name="subject"/>: an identity's, or for
    /// <see cref="Governance.Subject"/> the validator set's (0 when nothing was committed).</summary>
    public ulong CommittedSequence(IdentityId subject) => subject == Governance.Subject
        ? Decode<ValidatorSetState>(_store.Get(StateKeys.Validators))?.Sequence ?? 0
        : GetIdentity(subject)?.Sequence ?? 0;

    private IdentityState? ReadIdentity(IdentityId id) => Decode<IdentityState>(_store.Get(StateKeys.Identity(id)));

    /// <summary>Key state as of <paramref name="height"/> (after that block), or null if the identity did not exist then.</summary>
    public IdentityState? GetIdentityAt(IdentityId id, ulong height)
    {
        // Identities are never removed: one unknown now never existed, and one unchanged since the height is as it is now.
        var current = GetIdentity(id);
        if (current is null) return null;
        if (current.UpdatedAtHeight <= height) return current;
        var e = NewestEventAtOrBelow(current, height);
        return e is null ? null : Codec.Decode<IdentityState>(e.StateAfter);
    }

    /// <summary>
    /// The identity's events in order, from sequence <paramref name="fromSequence"/>, at most <paramref name="limit"/>. Reads
    /// at most one checkpoint and the page's events plus fewer than <see cref="StateKeys.CheckpointInterval"/> newer ones,
    /// however long the history.
    /// </summary>
    public IReadOnlyList<EventRecord> GetEvents(IdentityId id, ulong fromSequence = 1, int limit = int.MaxValue)
    {
        var current = GetIdentity(id);
        fromSequence = Math.Max(fromSequence, 1);
        if (current is null || limit <= 0 || fromSequence > current.Sequence) return [];
        var last = current.Sequence - fromSequence < (ulong)limit ? current.Sequence : fromSequence + (ulong)limit - 1;
        var page = new List<EventRecord>((int)(last - fromSequence + 1));
        var (sequence, height) = EventAtOrAfter(current, last);
        foreach (var e in EventsNewestFirst(id, sequence, height))
        {
            if (e.Sequence <= last) page.Add(e);
            if (e.Sequence == fromSequence) break;
        }

        page.Reverse();
        return page;
    }

    /// <summary>
    /// Where to start walking back to the identity's event <paramref name="sequence"/>: the next checkpointed event
    /// (fewer than <see cref="StateKeys.CheckpointInterval"/> steps above it), or the newest event when that is nearer.
    /// </summary>
    private (ulong Sequence, ulong Height) EventAtOrAfter(IdentityState current, ulong sequence)
    {
        const ulong k = StateKeys.CheckpointInterval;
        var checkpointed = ((sequence - 1) / k + 1) * k;
        return checkpointed < current.Sequence
            ? (checkpointed, CheckpointHeight(StateKeys.EventCheckpoint(current.Id, checkpointed / k)))
            : (current.Sequence, current.UpdatedAtHeight);
    }

    /// <summary>The newest event of the identity at or below <paramref name="height"/>, or null if its inception came later.</summary>
    private EventRecord? NewestEventAtOrBelow(IdentityState current, ulong height)
    {
        var (sequence, start) = WalkStart(current.Sequence, current.UpdatedAtHeight, height, n => StateKeys.EventCheckpoint(current.Id, n));
        foreach (var e in EventsNewestFirst(current.Id, sequence, start))
        {
            if (e.Height <= height) return e;
        }

        return null;
    }

    /// <summary>
    /// The identity's events from event <paramref name="sequence"/> (committed at <paramref name="height"/>) back to its
    /// inception, each found from the one after it. Events are immutable once committed, so a walk that starts from a
    /// state read before a concurrent commit still sees a consistent chain.
    /// </summary>
    private IEnumerable<EventRecord> EventsNewestFirst(IdentityId id, ulong sequence, ulong height)
    {
        for (; sequence >= 1; sequence--)
        {
            var bytes = _store.Get(StateKeys.Event(height, id, sequence))
                ?? throw new StorageCorruptionException($"event {sequence} of {id} at height {height} is missing: the store is damaged");
            var e = Codec.Decode<EventRecord>(bytes);
            yield return e;
            height = e.PreviousHeight;
        }
    }

    /// <summary>
    /// Where a backward walk to the newest entry at or below <paramref name="height"/> starts, in a history of
    /// <paramref name="newest"/> entries (events of an identity, versions of a policy) whose newest is at
    /// <paramref name="newestHeight"/> and whose every <see cref="StateKeys.CheckpointInterval"/>-th has a checkpoint:
    /// the newest entry when it is at or below the height, else the oldest checkpointed entry above it (a binary
    /// search over the checkpoints, heights never decrease along a history), else the newest. The answer is then at
    /// most <see cref="StateKeys.CheckpointInterval"/> steps back.
    /// </summary>
    private (ulong Number, ulong Height) WalkStart(ulong newest, ulong newestHeight, ulong height, Func<ulong, byte[]> checkpointKey)
    {
        if (newestHeight <= height) return (newest, newestHeight);
        // Invariant: checkpoint `below` is at or below the height (0: none is), checkpoint `above` above it (past the last: the newest).
        var below = 0UL;
        var above = newest / StateKeys.CheckpointInterval + 1;
        var start = (newest, newestHeight);
        while (above - below > 1)
        {
            var middle = below + (above - below) / 2;
            var middleHeight = CheckpointHeight(checkpointKey(middle));
            if (middleHeight <= height)
            {
                below = middle;
            }
            else
            {
                above = middle;
                start = (middle * StateKeys.CheckpointInterval, middleHeight);
            }
        }

        return start;
    }

    private ulong CheckpointHeight(byte[] key) => _store.Get(key) is { Length: 8 } value
        ? System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(value)
        : throw new StorageCorruptionException($"history checkpoint {Convert.ToHexStringLower(key)} is missing or malformed: the store is damaged");

    public AgentPolicy? GetPolicy(IdentityId owner, string policyId) => Decode<AgentPolicy>(_store.Get(StateKeys.Policy(owner, policyId)));

    public AgentPolicy? GetPolicyAt(IdentityId owner, string policyId, ulong height)
    {
        var bytes = PolicyBytesAt(owner, policyId, height);
        return bytes is null ? null : Codec.Decode<AgentPolicy>(bytes);
    }

    /// <summary>Where a committed transaction is, or null.</summary>
    public TxLocation? GetTransaction(Hash32 hash) => Decode<TxLocation>(_store.Get(StateKeys.Tx(hash)));

    /// <summary>State root and block time of a committed height, or null.</summary>
    public HeightRecord? GetHeight(ulong height) => Decode<HeightRecord>(_store.Get(StateKeys.HeightRoot(height)));

    /// <summary>Whether <paramref name="agent"/> holds <paramref name="required"/> in the owner's policy at a height (default: latest).</summary>
    public AuthorizationResult CheckAuthorization(IdentityId owner, string policyId, PublicKey agent, AgentRights required, ulong? height = null)
    {
        var at = height ?? Height;
        var identity = GetIdentityAt(owner, at);
        if (identity is null) return new(false, AgentRights.None, $"{owner} does not exist at height {at}");
        if (identity.Status == IdentityStatus.Deactivated) return new(false, AgentRights.None, $"{owner} is deactivated");
        var policy = GetPolicyAt(owner, policyId, at);
        if (policy is null) return new(false, AgentRights.None, $"{owner} has no policy '{policyId}' at height {at}");
        var rights = policy.RightsOf(agent);
        // Admin implies every other right.
        var effective = rights.HasFlag(AgentRights.Admin) ? AgentRights.All : rights;
        return (effective & required) == required
            ? new(true, rights, "authorized")
            : new(false, rights, $"agent holds {rights}, needs {required}");
    }

    /// <summary>
    /// Whether a signature by <paramref name="key"/> made at <paramref name="height"/> counts as the
    /// identity's: the key must have been a signing key then, not marked compromised at or before then, and the
    /// identity not deactivated at or before then (<see cref="KeyValidity.Deactivated"/>).
    /// </summary>
    public KeyValidity CheckSigningKey(IdentityId id, PublicKey key, ulong height)
    {
        var then = GetIdentityAt(id, height);
        if (then is null) return GetIdentity(id) is null ? KeyValidity.UnknownIdentity : KeyValidity.NotASigningKey;
        if (!then.HasSigningKey(key)) return KeyValidity.NotASigningKey;
        // Deactivation ends the identity, not the past: signatures made before it keep the validity they had.
        if (then.Status == IdentityStatus.Deactivated) return KeyValidity.Deactivated;
        var retired = Decode<RetiredKeyRecord>(_store.Get(StateKeys.RetiredKey(id, key)));
        return retired?.CompromisedAtHeight is { } c && height >= c ? KeyValidity.Compromised : KeyValidity.Valid;
    }

    /// <summary>The identity's key state at a height (default latest) with its proof, or null when that height's tree is no longer kept.</summary>
    public ProvenValue? ProveIdentity(IdentityId id, ulong? height = null)
    {
        var at = height ?? Height;
        return Prove(StateKeys.Identity(id), at, () => IdentityBytesAt(id, at));
    }

    /// <summary>An agent policy at a height (default latest) with its proof, or null when that height's tree is no longer kept.</summary>
    public ProvenValue? ProvePolicy(IdentityId owner, string policyId, ulong? height = null)
    {
        var at = height ?? Height;
        return Prove(StateKeys.Policy(owner, policyId), at, () => PolicyBytesAt(owner, policyId, at));
    }

    private ProvenValue? Prove(byte[] key, ulong height, Func<byte[]?> valueAt)
    {
        if (!_trees.TryGetValue(height, out var tree)) return null;
        var value = valueAt();
        var root = tree.Root;
        return new ProvenValue(height, root, key, value, tree.Prove(Hash32.Sha256(key)));
    }

    /// <summary>The exact stored bytes of the identity's state as of the height (what its leaf hashes): the newest event's copy.</summary>
    private byte[]? IdentityBytesAt(IdentityId id, ulong height)
    {
        var current = GetIdentity(id);
        return current is null ? null : NewestEventAtOrBelow(current, height)?.StateAfter;
    }

    /// <summary>
    /// The exact stored bytes of the policy as of the height (what its leaf hashes): the current record when it has not
    /// changed since, else the newest version at or below the height, walked back from a checkpoint.
    /// </summary>
    private byte[]? PolicyBytesAt(IdentityId owner, string policyId, ulong height)
    {
        // Policies are never removed: one absent now never existed.
        if (_store.Get(StateKeys.Policy(owner, policyId)) is not { } currentBytes) return null;
        var current = Codec.Decode<AgentPolicy>(currentBytes);
        if (current.UpdatedAtHeight <= height) return currentBytes;
        var (_, versionHeight) = WalkStart(current.Version, current.UpdatedAtHeight, height, n => StateKeys.PolicyCheckpoint(owner, policyId, n));
        while (versionHeight != 0)
        {
            var bytes = _store.Get(StateKeys.PolicyHistory(versionHeight, owner, policyId))
                ?? throw new StorageCorruptionException($"version of policy '{policyId}' of {owner} at height {versionHeight} is missing: the store is damaged");
            var version = Codec.Decode<PolicyVersion>(bytes);
            if (versionHeight <= height) return version.Policy;
            versionHeight = version.PreviousHeight;
        }

        return null;
    }

    private static T? Decode<T>(byte[]? bytes) where T : class => bytes is null ? null : Codec.Decode<T>(bytes);
}
