using Dkms.Core.Encoding;
using Dkms.Core.Primitives;
using Dkms.Ledger.State;
using Dkms.Storage;

namespace Dkms.Ledger.Execution;

/// <summary>
/// Copy-on-write view used to execute one block: reads fall through to the committed store, writes
/// stay here until the block is committed (one atomic batch) or dropped (nothing to undo).
/// Decoded records are cached so a block that touches an identity many times decodes it once.
/// </summary>
internal sealed class StateOverlay(IKeyValueReader committed) : IStateReader
{
    private readonly Dictionary<IdentityId, IdentityState?> _identities = [];
    private readonly Dictionary<IdentityId, byte[]> _encodedIdentities = [];
    private readonly Dictionary<(IdentityId, string), AgentPolicy?> _policies = [];
    private readonly Dictionary<(IdentityId, PublicKey), RetiredKeyRecord?> _retired = [];
    private readonly Dictionary<Hash32, TxLocation> _newTxs = [];
    private readonly HashSet<IdentityId> _dirtyIdentities = [];
    private readonly HashSet<(IdentityId, string)> _dirtyPolicies = [];
    private readonly HashSet<(IdentityId, PublicKey)> _dirtyRetired = [];
    private readonly List<EventRecord> _events = [];
    private ValidatorSetState? _validators;
    private bool _validatorsLoaded;
    private bool _validatorsDirty;

    public IReadOnlyList<EventRecord> Events => _events;

    public IReadOnlyDictionary<Hash32, TxLocation> NewTransactions => _newTxs;

    public IdentityState? GetIdentity(IdentityId id)
    {
        if (!_identities.TryGetValue(id, out var s))
        {
            s = Load<IdentityState>(StateKeys.Identity(id));
            _identities[id] = s;
        }

        return s;
    }

    public AgentPolicy? GetPolicy(IdentityId owner, string policyId)
    {
        if (!_policies.TryGetValue((owner, policyId), out var p))
        {
            p = Load<AgentPolicy>(StateKeys.Policy(owner, policyId));
            _policies[(owner, policyId)] = p;
        }

        return p;
    }

    public RetiredKeyRecord? GetRetiredKey(IdentityId owner, PublicKey key)
    {
        if (!_retired.TryGetValue((owner, key), out var r))
        {
            r = Load<RetiredKeyRecord>(StateKeys.RetiredKey(owner, key));
            _retired[(owner, key)] = r;
        }

        return r;
    }

    public ValidatorSetState? GetValidators()
    {
        if (!_validatorsLoaded)
        {
            _validators = Load<ValidatorSetState>(StateKeys.Validators);
            _validatorsLoaded = true;
        }

        return _validators;
    }

    public void PutValidators(ValidatorSetState state)
    {
        _validators = state;
        _validatorsLoaded = true;
        _validatorsDirty = true;
    }

    /// <summary>The validator set written by this block, if any.</summary>
    public ValidatorSetState? ChangedValidators => _validatorsDirty ? _validators : null;

    public bool ContainsTransaction(Hash32 hash) => _newTxs.ContainsKey(hash) || committed.Get(StateKeys.Tx(hash)) is not null;

    /// <summary>Stores the identity's new state with its canonical encoding (already made for the event record).</summary>
    public void PutIdentity(IdentityState state, byte[] encoded)
    {
        _identities[state.Id] = state;
        _encodedIdentities[state.Id] = encoded;
        _dirtyIdentities.Add(state.Id);
    }

    public void PutPolicy(AgentPolicy policy)
    {
        _policies[(policy.Owner, policy.PolicyId)] = policy;
        _dirtyPolicies.Add((policy.Owner, policy.PolicyId));
    }

    public void PutRetiredKey(RetiredKeyRecord record)
    {
        _retired[(record.Owner, record.Key)] = record;
        _dirtyRetired.Add((record.Owner, record.Key));
    }

    public void AddEvent(EventRecord e, TxLocation location)
    {
        _events.Add(e);
        _newTxs[e.TxHash] = location;
    }

    /// <summary>Records a transaction that is not an identity event (governance).</summary>
    public void AddTransaction(Hash32 hash, TxLocation location) => _newTxs[hash] = location;

    /// <summary>
    /// The authenticated (state-root) writes of this block, sorted by key so that everything derived
    /// from them is independent of dictionary order.
    /// </summary>
    public List<KeyValuePair<byte[], byte[]>> AuthenticatedWrites()
    {
        var writes = new List<KeyValuePair<byte[], byte[]>>(_dirtyIdentities.Count + _dirtyPolicies.Count + _dirtyRetired.Count);
        foreach (var id in _dirtyIdentities) writes.Add(new(StateKeys.Identity(id), _encodedIdentities[id]));
        foreach (var key in _dirtyPolicies) writes.Add(new(StateKeys.Policy(key.Item1, key.Item2), Codec.Encode(_policies[key]!)));
        foreach (var key in _dirtyRetired) writes.Add(new(StateKeys.RetiredKey(key.Item1, key.Item2), Codec.Encode(_retired[key]!)));
        if (_validatorsDirty) writes.Add(new(StateKeys.Validators, Codec.Encode(_validators!)));
        writes.Sort((a, b) => ByteKeyComparer.Instance.Compare(a.Key, b.Key));
        return writes;
    }

    public IEnumerable<AgentPolicy> ChangedPolicies() => _dirtyPolicies.Select(k => _policies[k]!);

    private T? Load<T>(byte[] key) where T : class
    {
        var bytes = committed.Get(key);
        // Committed state was written by this code; if it does not decode the store is damaged.
        return bytes is null ? null : Codec.Decode<T>(bytes);
    }
}
