using Dkms.Core.Encoding;
using Dkms.Core.Primitives;
using Dkms.Core.Transactions;
using Dkms.Ledger.State;
using Dkms.Storage;

namespace Dkms.Ledger.Execution;

/// <summary>
/// Copy-on-write view used to execute one block: reads fall through to the committed store, writes
/// stay here until the block is committed (one atomic batch) or dropped (nothing to undo).
/// Decoded records are cached so a block that touches an identity many times decodes it once.
/// </summary>
/// <param name="committed">The committed state it reads through to.</param>
/// <param name="identityCache">Decoded committed identities shared across blocks, if any.</param>
/// <param name="expectedTransactions">How many transactions the block has: the per-transaction tables are sized
/// for them up front instead of growing (and reallocating) as execution goes.</param>
internal sealed class StateOverlay(IKeyValueReader committed, CommittedIdentityCache? identityCache = null, int expectedTransactions = 0) : IStateReader
{
    // The committed height this overlay started at: what it reads from the store is offered to the cache as of it.
    private readonly ulong _readAtHeight = identityCache?.Height ?? 0;

    private readonly Dictionary<IdentityId, IdentityState?> _identities = new(expectedTransactions);
    private readonly Dictionary<IdentityId, byte[]> _encodedIdentities = new(expectedTransactions);
    private readonly Dictionary<(IdentityId, string), AgentPolicy?> _policies = [];
    private readonly Dictionary<(IdentityId, PublicKey), RetiredKeyRecord?> _retired = [];
    private readonly Dictionary<Hash32, TxLocation> _newTxs = new(expectedTransactions);
    private readonly Dictionary<Hash32, bool> _committedTxs = [];
    private readonly HashSet<IdentityId> _dirtyIdentities = new(expectedTransactions);
    private readonly HashSet<(IdentityId, string)> _dirtyPolicies = [];
    private readonly Dictionary<(IdentityId, string), (ulong Height, ulong Version)> _policyPrevious = [];
    private readonly HashSet<(IdentityId, PublicKey)> _dirtyRetired = [];
    private readonly List<EventRecord> _events = new(expectedTransactions);
    private ValidatorSetState? _validators;
    private bool _validatorsLoaded;
    private bool _validatorsDirty;

    public IReadOnlyList<EventRecord> Events => _events;

    public IReadOnlyDictionary<Hash32, TxLocation> NewTransactions => _newTxs;

    public IdentityState? GetIdentity(IdentityId id)
    {
        if (!_identities.TryGetValue(id, out var s))
        {
            s = LoadIdentity(id);
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

    /// <summary>True when this block has already applied the transaction.</summary>
    public bool ContainsNewTransaction(Hash32 hash) => _newTxs.ContainsKey(hash);

    /// <summary>True when the transaction is in committed state (read once per overlay).</summary>
    public bool IsCommittedTransaction(Hash32 hash)
    {
        if (!_committedTxs.TryGetValue(hash, out var known))
        {
            known = committed.Get(StateKeys.Tx(hash)) is not null;
            _committedTxs[hash] = known;
        }

        return known;
    }

    /// <summary>
    /// Reads, before execution starts, what the block's transactions will certainly read from committed
    /// state: each subject's identity (decoded). The reads are spread over the cores; the results land
    /// in the same caches the sequential reads fill,
    /// in transaction order, so execution sees exactly what it would have read itself (committed state
    /// does not change during execution: the one writer commits only after executing).
    /// </summary>
    public void Prefetch(IReadOnlyList<Transaction> txs)
    {
        if (_dirtyIdentities.Count != 0 || _newTxs.Count != 0) throw new InvalidOperationException("prefetch only into a fresh overlay");
        var subjects = new List<IdentityId>(txs.Count);
        var seen = new HashSet<IdentityId>(txs.Count);
        foreach (var tx in txs)
        {
            if (tx.Subject != Governance.Subject && !_identities.ContainsKey(tx.Subject) && seen.Add(tx.Subject)) subjects.Add(tx.Subject);
        }

        var identities = new IdentityState?[subjects.Count];
        var workers = Environment.ProcessorCount;
        try
        {
            Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, worker =>
            {
                for (var i = worker; i < subjects.Count; i += workers) identities[i] = LoadIdentity(subjects[i]);
            });
        }
        catch (AggregateException e) when (e.InnerExceptions.Count == 1)
        {
            // A storage or decode failure surfaces as itself, as it would from a sequential read.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
        }

        for (var i = 0; i < subjects.Count; i++) _identities[subjects[i]] = identities[i];
    }

    /// <summary>Stores the identity's new state with its canonical encoding (already made for the event record).</summary>
    public void PutIdentity(IdentityState state, byte[] encoded)
    {
        _identities[state.Id] = state;
        _encodedIdentities[state.Id] = encoded;
        _dirtyIdentities.Add(state.Id);
    }

    /// <summary>Stores the policy's new state as the version after the committed one (all changes in one block are one version).</summary>
    public void PutPolicy(AgentPolicy policy)
    {
        var key = (policy.Owner, policy.PolicyId);
        // The first change in this block remembers the committed version: the history links to its height.
        if (_dirtyPolicies.Add(key))
        {
            var committedVersion = GetPolicy(policy.Owner, policy.PolicyId);
            _policyPrevious[key] = (committedVersion?.UpdatedAtHeight ?? 0, committedVersion?.Version ?? 0);
        }

        var version = _policyPrevious[key].Version + 1;
        _policies[key] = policy.Version == version ? policy : policy with { Version = version };
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

    /// <summary>The identity states this block wrote.</summary>
    public IEnumerable<IdentityState> ChangedIdentities() => _dirtyIdentities.Select(id => _identities[id]!);

    /// <summary>The policies this block wrote, each with the height of its committed version (0: created in this block).</summary>
    public IEnumerable<(AgentPolicy Policy, ulong PreviousHeight)> ChangedPolicies() => _dirtyPolicies.Select(k => (_policies[k]!, _policyPrevious[k].Height));

    /// <summary>Committed state of an identity: from the shared cache, else read and decoded (and offered to the cache).
    /// Safe to call from several threads (the prefetch does).</summary>
    private IdentityState? LoadIdentity(IdentityId id) =>
        identityCache is null ? ReadIdentity(id) : identityCache.GetOrRead(id, _readAtHeight, ReadIdentity);

    private IdentityState? ReadIdentity(IdentityId id) => Load<IdentityState>(StateKeys.Identity(id));

    private T? Load<T>(byte[] key) where T : class
    {
        var bytes = committed.Get(key);
        // Committed state was written by this code; if it does not decode the store is damaged.
        return bytes is null ? null : Codec.Decode<T>(bytes);
    }
}
