using System.Collections.Concurrent;
using Dkms.Core.Encoding;
using Dkms.Core.Genesis;
using Dkms.Core.Primitives;
using Dkms.Core.Transactions;
using Dkms.Ledger.Execution;
using Dkms.Ledger.Merkle;
using Dkms.Ledger.State;
using Dkms.Storage;

namespace Dkms.Ledger;

/// <summary>
/// The DKMS state machine over a key-value store. One writer (consensus) executes and commits
/// blocks; any number of readers query committed state concurrently.
/// </summary>
public sealed partial class DkmsLedger
{
    private readonly IKeyValueStore _store;
    private readonly ConcurrentDictionary<ulong, SparseMerkleTree> _trees = new();
    private readonly Lock _commitLock = new();
    private volatile Head _head;

    private sealed record Head(ulong Height, ulong BlockTimeMs, SparseMerkleTree Tree);

    private DkmsLedger(IKeyValueStore store, LedgerOptions options, Head head)
    {
        _store = store;
        Options = options;
        _head = head;
        _trees[head.Height] = head.Tree;
        Signatures = new SignatureCache(options.SignatureCacheCapacity);
        _identities = options.IdentityCacheCapacity > 0 ? new CommittedIdentityCache(options.IdentityCacheCapacity, head.Height) : null;
        _validatorHistory = ReadValidatorHistory();
        _chain = new ChainRules(options.ChainId, ReadParameters(store), Signatures);
    }

    /// <summary>Chain id, parameters and signature cache every transaction is judged with; replaced once, at genesis.</summary>
    private volatile ChainRules _chain;

    /// <summary>The chain's parameters (genesis); <see cref="LedgerParameters.Default"/> for a ledger that never had a genesis.</summary>
    public LedgerParameters Parameters => _chain.Parameters;

    private static LedgerParameters ReadParameters(IKeyValueStore store) =>
        store.Get(StateKeys.Parameters) is { } bytes ? Codec.Decode<LedgerParameters>(bytes) : LedgerParameters.Default;

    /// <summary>Every validator set with the height it takes effect from, latest first: a handful of entries, read on
    /// every status request and height, so kept in memory and replaced (under the commit lock) whenever a commit adds one.</summary>
    private volatile (ulong From, ValidatorEntry[] Set)[] _validatorHistory;

    private (ulong From, ValidatorEntry[] Set)[] ReadValidatorHistory() =>
        [.. _store.ScanReverse(StateKeys.ValidatorHistoryAll)
            .Select(kv => (System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(kv.Key.AsSpan(1)), Codec.Decode<ValidatorEntry[]>(kv.Value)))];

    private readonly CommittedIdentityCache? _identities;

    /// <summary>An overlay on committed state reading identities through the shared cache.</summary>
    private StateOverlay NewOverlay(int expectedTransactions = 0) => new(_store, _identities, expectedTransactions);

    public LedgerOptions Options { get; }

    public string ChainId => Options.ChainId;

    /// <summary>Height of the last committed block (0 before the first).</summary>
    public ulong Height => _head.Height;

    /// <summary>Block time of the last committed block, unix milliseconds.</summary>
    public ulong LastBlockTimeMs => _head.BlockTimeMs;

    /// <summary>State root after the last committed block.</summary>
    public Hash32 StateRoot => _head.Tree.Root;

    /// <summary>Verified-signature cache shared with the mempool.</summary>
    public SignatureCache Signatures { get; }

    /// <summary>
    /// Opens the ledger kept in <paramref name="store"/>. The state tree is rebuilt from the
    /// authenticated entries and must reproduce the state root recorded at the last commit; if it
    /// does not, the store is damaged and opening fails rather than serving wrong state.
    /// </summary>
    public static DkmsLedger Open(IKeyValueStore store, LedgerOptions options)
    {
        CheckLayout(store);
        var leaves = store.Scan(StateKeys.Authenticated).Select(kv => (Hash32.Sha256(kv.Key), Hash32.Sha256(kv.Value)));
        var tree = SparseMerkleTree.Build(leaves);
        var last = store.Get(StateKeys.LastCommitted);
        if (last is null)
        {
            if (tree.Count != 0) throw new StorageCorruptionException("the store holds state but no record of a committed height");
            return new DkmsLedger(store, options, new Head(0, 0, tree));
        }

        var record = Codec.Decode<HeightRecord>(last);
        if (record.StateRoot != tree.Root)
        {
            throw new StorageCorruptionException($"state root mismatch at height {record.Height}: recorded {record.StateRoot}, rebuilt {tree.Root}");
        }

        return new DkmsLedger(store, options, new Head(record.Height, record.BlockTimeMs, tree));
    }

    /// <summary>
    /// Marks an empty store with this version's key layout; moves a layout-<see cref="StoreLayout.LastUnmarkedVersion"/>
    /// store to this one in place (the keys are the same: see <see cref="StoreLayout.Version"/>; a store that reaches here
    /// was opened with its synced-write mark, or is in memory); refuses any other layout. Older stores are rebuilt from
    /// their blocks by the node before the ledger opens them (Dkms.Node's StoreUpgrade).
    /// </summary>
    private static void CheckLayout(IKeyValueStore store)
    {
        var layout = store.Get(StateKeys.Layout);
        if (layout is [StateKeys.LayoutVersion]) return;
        var empty = layout is null && store.Get(StateKeys.LastCommitted) is null && !store.Scan(StateKeys.Authenticated).Any();
        if (empty || layout is [StoreLayout.LastUnmarkedVersion])
        {
            store.Write(new WriteBatch().Put(StateKeys.Layout, [StateKeys.LayoutVersion]), sync: true);
            return;
        }

        var found = layout is null ? "1 (no layout record)" : string.Join(",", layout);
        throw new StorageException(
            $"the store was written with key layout {found}; this version reads layouts {StoreLayout.LastUnmarkedVersion} and " +
            $"{StateKeys.LayoutVersion}. Rebuild it from its blocks (dkms-node reindex --data-dir DIR) or run the version that wrote it.");
    }

    /// <summary>
    /// Writes the genesis validator set and the chain's parameters into an empty ledger (height 0). They become
    /// part of the authenticated state, so the genesis state root commits to them.
    /// </summary>
    public void InitializeGenesis(IReadOnlyList<ValidatorEntry> validators, LedgerParameters? parameters = null)
    {
        parameters ??= LedgerParameters.Default;
        parameters.Validate();
        lock (_commitLock)
        {
            var head = _head;
            if (head.Height != 0 || _store.Get(StateKeys.Validators) is not null) throw new InvalidOperationException("genesis was already written");
            var check = Rules.GovernanceRules.Check([.. validators]);
            if (!check.IsOk) throw new ArgumentException(check.Message, nameof(validators));

            var state = Codec.Encode(new ValidatorSetState([.. validators], null, 0, 0));
            var parameterBytes = Codec.Encode(parameters);
            var tree = head.Tree
                .Set(Hash32.Sha256(StateKeys.Validators), Hash32.Sha256(state))
                .Set(Hash32.Sha256(StateKeys.Parameters), Hash32.Sha256(parameterBytes));
            var record = Codec.Encode(new HeightRecord(0, tree.Root, head.BlockTimeMs, 0));
            var batch = new WriteBatch()
                .Put(StateKeys.Validators, state)
                .Put(StateKeys.Parameters, parameterBytes)
                .Put(StateKeys.ValidatorHistory(0), Codec.Encode(validators.ToArray()))
                .Put(StateKeys.HeightRoot(0), record)
                .Put(StateKeys.LastCommitted, record);
            _store.Write(batch, Options.SyncCommits);
            _validatorHistory = ReadValidatorHistory();
            _chain = _chain with { Parameters = parameters };
            _trees[0] = tree;
            _head = head with { Tree = tree };
        }
    }

    /// <summary>The validators in force at <paramref name="height"/> (known up to two heights past the last commit), or null before genesis.</summary>
    public ValidatorEntry[]? ValidatorSetAt(ulong height)
    {
        foreach (var (from, set) in _validatorHistory)
        {
            if (from <= height) return [.. set];
        }

        return null;
    }

    /// <summary>
    /// Admission check for the mempool: decoded shape, chain, duplicate, signatures (verified once and
    /// cached) and every rule against committed state as if the transaction came next. Time-dependent
    /// rules (a recovery's delay) are judged at <paramref name="atTimeMs"/>, by default the last block time.
    /// </summary>
    public TxResult CheckTransaction(Transaction tx, ulong? atTimeMs = null)
    {
        var head = _head;
        var overlay = NewOverlay();
        var time = Math.Max(head.BlockTimeMs, atTimeMs ?? 0);
        return TransactionExecutor.Check(overlay, tx, _chain, head.Height + 1, time).Result;
    }

    /// <summary>
    /// Which of <paramref name="txs"/> pass the checks that need no signature against committed state, each on its own
    /// (its subject exists and it is the subject's next transaction, or a new inception): the ones worth verifying
    /// signatures for ahead of time. The others are refused or wait for a predecessor without any verification.
    /// </summary>
    public bool[] InLine(IReadOnlyList<Transaction> txs)
    {
        var head = _head;
        var overlay = NewOverlay();
        var chain = _chain;
        var inLine = new bool[txs.Count];
        for (var i = 0; i < txs.Count; i++)
        {
            inLine[i] = txs[i].Body.ChainId == chain.ChainId
                && Rules.RuleEngine.Precheck(new Rules.RuleContext(txs[i], overlay, head.Height + 1, head.BlockTimeMs, chain.Parameters)).Result.IsOk;
        }

        return inLine;
    }

    /// <summary>
    /// Executes <paramref name="txs"/> as block <paramref name="height"/> (the next height) at block time
    /// <paramref name="blockTimeMs"/> on a copy-on-write overlay. Signatures not yet cached are verified in
    /// parallel first. Rejected transactions change nothing; the result says which.
    /// </summary>
    public ExecutedBlock Execute(ulong height, ulong blockTimeMs, IReadOnlyList<Transaction> txs)
    {
        var head = _head;
        if (height != head.Height + 1) throw new ArgumentException($"can only execute height {head.Height + 1}, got {height}", nameof(height));
        if (blockTimeMs < head.BlockTimeMs) throw new ArgumentException($"block time {blockTimeMs} is before the last block's {head.BlockTimeMs}", nameof(blockTimeMs));

        var (overlay, results) = ExecuteOnOverlay(height, blockTimeMs, txs);
        var writes = overlay.AuthenticatedWrites();
        var leaves = new (Hash32 KeyHash, Hash32? ValueHash)[writes.Count];
        ForEachIndex(writes.Count, i => leaves[i] = (Hash32.Sha256(writes[i].Key), Hash32.Sha256(writes[i].Value)));
        var tree = head.Tree.Apply(leaves);
        _ = tree.Root; // hash the new nodes now, on the executing thread, not lazily inside a query
        return new ExecutedBlock(height, blockTimeMs, head.Tree.Root, txs, results, overlay, tree, writes);
    }

    /// <summary>
    /// What a proposer does: executes <paramref name="candidates"/> as block <paramref name="height"/> and leaves
    /// the rejected ones out. The result holds only accepted transactions; its state root is the proposal's, and
    /// it can be committed as is.
    /// </summary>
    public ExecutedBlock ExecuteAcceptable(ulong height, ulong blockTimeMs, IReadOnlyList<Transaction> candidates) =>
        Execute(height, blockTimeMs, candidates).WithoutRejected();

    /// <summary>
    /// The transactions of <paramref name="txs"/> that the next block would accept, in order — what a
    /// proposer puts in its block. Same checks as <see cref="Execute"/>, without computing a state root.
    /// </summary>
    public IReadOnlyList<Transaction> SelectAcceptable(IReadOnlyList<Transaction> txs) => SelectAcceptable(txs, 0);

    /// <summary>As <see cref="SelectAcceptable(IReadOnlyList{Transaction})"/>, judging time-dependent rules at
    /// <paramref name="blockTimeMs"/> (a proposer passes its clock: its block's timestamp is at least that).</summary>
    public IReadOnlyList<Transaction> SelectAcceptable(IReadOnlyList<Transaction> txs, ulong blockTimeMs)
    {
        var head = _head;
        var (_, results) = ExecuteOnOverlay(head.Height + 1, Math.Max(head.BlockTimeMs, blockTimeMs), txs);
        return [.. txs.Where((_, i) => results[i].IsOk)];
    }

    /// <summary>The verdict on each of <paramref name="txs"/> executed in order as the next block, judging time-dependent
    /// rules at <paramref name="atTimeMs"/> (or the last block's time if later); nothing is kept. What the mempool asks
    /// of a transaction queued behind its pending predecessors.</summary>
    public TxResult[] CheckInOrder(IReadOnlyList<Transaction> txs, ulong atTimeMs)
    {
        var head = _head;
        return ExecuteOnOverlay(head.Height + 1, Math.Max(head.BlockTimeMs, atTimeMs), txs).Results;
    }

    /// <summary>Adds the entries to the batch sorted by key (the keys are distinct).</summary>
    private static void PutInKeyOrder(WriteBatch batch, byte[][] keys, byte[][] values)
    {
        Array.Sort(keys, values, ByteKeyComparer.Instance);
        for (var i = 0; i < keys.Length; i++) batch.Put(keys[i], values[i]);
    }

    /// <summary>Runs <paramref name="body"/> for 0 ≤ i &lt; <paramref name="count"/>, on all cores when there is enough work; each i writes only its own result.</summary>
    private static void ForEachIndex(int count, Action<int> body)
    {
        if (count < PrefetchThreshold || Environment.ProcessorCount == 1)
        {
            for (var i = 0; i < count; i++) body(i);
            return;
        }

        var workers = Environment.ProcessorCount;
        Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, w =>
        {
            for (var i = w; i < count; i += workers) body(i);
        });
    }

    /// <summary>Blocks of at least this many transactions read their subjects' committed state on all cores first.</summary>
    private const int PrefetchThreshold = 32;

    private (StateOverlay Overlay, TxResult[] Results) ExecuteOnOverlay(ulong height, ulong blockTimeMs, IReadOnlyList<Transaction> txs)
    {
        SignatureVerifier.Prefetch(txs, Signatures);

        var overlay = NewOverlay(txs.Count);
        if (txs.Count >= PrefetchThreshold && Environment.ProcessorCount > 1) overlay.Prefetch(txs);
        // A validator-set change reaching its activation height becomes the current set.
        if (overlay.GetValidators() is { Pending: not null } vs && height >= vs.PendingFromHeight)
        {
            overlay.PutValidators(vs with { Current = vs.Pending, Pending = null, PendingFromHeight = 0 });
        }

        var results = new TxResult[txs.Count];
        var index = 0;
        for (var i = 0; i < txs.Count; i++)
        {
            results[i] = TransactionExecutor.Execute(overlay, txs[i], _chain, height, blockTimeMs, index);
            if (results[i].IsOk) index++;
        }

        return (overlay, results);
    }

    /// <summary>
    /// Commits an executed block in one synced write batch together with <paramref name="extra"/>
    /// (the block itself and its commit certificate, from consensus). Throws if the block was not
    /// executed on the current head. A storage failure throws and the ledger must not be used further.
    /// </summary>
    public void Commit(ExecutedBlock block, WriteBatch? extra = null)
    {
        lock (_commitLock)
        {
            var head = _head;
            if (block.Height != head.Height + 1 || block.ParentStateRoot != head.Tree.Root)
            {
                throw new InvalidOperationException($"block {block.Height} was not executed on the current head (height {head.Height})");
            }

            // RocksDB inserts a batch into its in-memory table in the order given, each search starting where the last
            // insert ended: keys in ascending order cost much less than the same keys at random (≈ 1 ms less for a block
            // of 1,000). So the entries go in key order: e (events), g, h (policy versions), i (event checkpoints), m,
            // p (policy checkpoints), r, s (state), t (index).
            var batch = new WriteBatch(block.AuthenticatedWrites.Count + 2 * block.Overlay.Events.Count + 4 + (extra?.Count ?? 0));
            var events = block.Overlay.Events;
            // Encoding is a pure function of each record: spread it over the cores.
            var eventKeys = new byte[events.Count][];
            var encodedEvents = new byte[events.Count][];
            ForEachIndex(events.Count, i =>
            {
                eventKeys[i] = StateKeys.Event(events[i].Height, events[i].Identity, events[i].Sequence);
                encodedEvents[i] = Codec.Encode(events[i]);
            });
            PutInKeyOrder(batch, eventKeys, encodedEvents);

            var validatorsChanged = false;
            if (block.Overlay.ChangedValidators is { Pending: not null } vs && vs.PendingFromHeight == block.Height + Governance.ActivationDelay)
            {
                validatorsChanged = true;
                batch.Put(StateKeys.ValidatorHistory(vs.PendingFromHeight), Codec.Encode(vs.Pending));
                if (ChangeProof(block) is { } proof) batch.Put(StateKeys.ValidatorChangeProof(block.Height), Codec.Encode(proof));
            }

            var policies = block.Overlay.ChangedPolicies().ToArray();
            PutInKeyOrder(
                batch,
                [.. policies.Select(p => StateKeys.PolicyHistory(block.Height, p.Policy.Owner, p.Policy.PolicyId))],
                [.. policies.Select(p => Codec.Encode(new PolicyVersion(p.PreviousHeight, Codec.Encode(p.Policy))))]);
            var checkpoints = events.Where(e => e.Sequence % StateKeys.CheckpointInterval == 0).ToArray();
            PutInKeyOrder(
                batch,
                [.. checkpoints.Select(e => StateKeys.EventCheckpoint(e.Identity, e.Sequence / StateKeys.CheckpointInterval))],
                [.. checkpoints.Select(e => StateKeys.CheckpointValue(e.Height))]);

            var record = Codec.Encode(new HeightRecord(block.Height, block.StateRoot, block.BlockTimeMs, block.Accepted.Count));
            batch.Put(StateKeys.LastCommitted, record);
            var policyCheckpoints = policies.Where(p => p.Policy.Version % StateKeys.CheckpointInterval == 0).ToArray();
            PutInKeyOrder(
                batch,
                [.. policyCheckpoints.Select(p => StateKeys.PolicyCheckpoint(p.Policy.Owner, p.Policy.PolicyId, p.Policy.Version / StateKeys.CheckpointInterval))],
                [.. policyCheckpoints.Select(_ => StateKeys.CheckpointValue(block.Height))]);
            batch.Put(StateKeys.HeightRoot(block.Height), record);
            foreach (var kv in block.AuthenticatedWrites) batch.Put(kv.Key, kv.Value); // sorted when made
            var txs = block.Overlay.NewTransactions;
            PutInKeyOrder(batch, [.. txs.Keys.Select(StateKeys.Tx)], [.. txs.Values.Select(loc => Codec.Encode(loc))]);
            if (extra is not null)
            {
                foreach (var (key, value) in extra.Operations)
                {
                    if (value is null) batch.Delete(key);
                    else batch.Put(key, value);
                }
            }

            _store.Write(batch, Options.SyncCommits);
            _identities?.Committed(block.Height, block.Overlay.ChangedIdentities());
            if (validatorsChanged) _validatorHistory = ReadValidatorHistory();

            _trees[block.Height] = block.Tree;
            _head = new Head(block.Height, block.BlockTimeMs, block.Tree);
            if (block.Height > (ulong)Options.ProofHistoryHeights)
            {
                _trees.TryRemove(block.Height - (ulong)Options.ProofHistoryHeights, out _);
            }
        }
    }
}
