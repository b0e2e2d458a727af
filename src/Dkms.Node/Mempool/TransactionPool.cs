using Dkms.Core.Primitives;
using Dkms.Core.Transactions;
using Dkms.Ledger;
using Dkms.Ledger.Execution;

namespace Dkms.Node.Mempool;

/// <summary>
/// The node's pool of validated transactions waiting for a block. Admission checks each transaction
/// against committed state with the ledger's full check (signatures verified once, in parallel for a
/// batch, into the ledger's signature cache, so the block does not verify them again). The pool is
/// bounded in count and bytes; proposals reap it in arrival order with each identity's transactions in
/// sequence order; after each commit it drops what was committed and rechecks what the block touched.
/// Thread-safe: RPC and gossip admit concurrently while the consensus loop reaps and updates.
/// </summary>
public sealed class TransactionPool
{
    private readonly DkmsLedger _ledger;
    private readonly MempoolOptions _options;
    private readonly Lock _lock = new();
    // Arrival order: a sequence number per entry; removal leaves the dictionary order intact.
    private readonly SortedDictionary<long, Transaction> _byArrival = [];
    private readonly Dictionary<Hash32, long> _arrivalOf = [];
    // Identities whose inception is pending here: their later transactions wait for it instead of being unknown.
    private readonly Dictionary<IdentityId, int> _pendingInceptions = [];
    private readonly RejectionHistory _rejections;
    // Hashes of the last blocks' transactions: an admission checked just before a commit must not add a
    // transaction the commit just removed (it would be proposed again and dropped, an empty block).
    private readonly Queue<HashSet<Hash32>> _recentBlocks = new();
    private long _nextArrival;
    private long _bytes;

    public TransactionPool(DkmsLedger ledger, MempoolOptions options)
    {
        _ledger = ledger;
        _options = options;
        _rejections = new RejectionHistory(options.RejectedHistory);
    }

    public MempoolOptions Options => _options;

    /// <summary>Raised (outside the lock) after admission added at least one transaction; carries the new ones.</summary>
    public event Action<IReadOnlyList<Transaction>>? Added;

    /// <summary>Raised when a pending transaction is evicted as invalid (after a commit or a failed proposal check).</summary>
    public event Action<Transaction, TxResult>? Evicted;

    public int Count
    {
        get { lock (_lock) return _byArrival.Count; }
    }

    public long Bytes
    {
        get { lock (_lock) return _bytes; }
    }

    public bool Contains(Hash32 hash)
    {
        lock (_lock) return _arrivalOf.ContainsKey(hash);
    }

    /// <summary>The reason a recently rejected or evicted transaction was refused.</summary>
    public bool TryGetRejection(Hash32 hash, out TxResult result) => _rejections.TryGet(hash, out result);

    public AdmitOutcome Admit(Transaction tx) => AdmitBatch([tx])[0];

    /// <summary>Admits a batch: signatures of the whole batch are verified on all cores first, then each
    /// transaction is checked in order. One outcome per transaction.</summary>
    public AdmitOutcome[] AdmitBatch(IReadOnlyList<Transaction> txs)
    {
        var outcomes = new AdmitOutcome[txs.Count];
        var fresh = new List<Transaction>(txs.Count);
        var isFresh = new bool[txs.Count];
        lock (_lock)
        {
            for (var i = 0; i < txs.Count; i++)
            {
                if (_arrivalOf.ContainsKey(txs[i].Hash)) outcomes[i] = AdmitOutcome.AlreadyPending;
                else if (IsFull(txs[i].Encoded.Length)) outcomes[i] = FullOutcome();
                else
                {
                    fresh.Add(txs[i]);
                    isFresh[i] = true;
                }
            }
        }

        if (fresh.Count == 0) return outcomes;
        SignatureVerifier.Prefetch(fresh, _ledger.Signatures);

        var added = new List<Transaction>(fresh.Count);
        for (var i = 0; i < txs.Count; i++)
        {
            if (!isFresh[i]) continue;
            var tx = txs[i];
            var check = _ledger.CheckTransaction(tx);
            if (!check.IsOk && !WaitsForPredecessor(tx, check))
            {
                outcomes[i] = check.Code == ErrorCode.Duplicate ? AdmitOutcome.AlreadyCommitted : AdmitOutcome.Rejected(check);
                if (!outcomes[i].IsAccepted) _rejections.Add(tx.Hash, check);
                continue;
            }

            lock (_lock)
            {
                if (_arrivalOf.ContainsKey(tx.Hash)) { outcomes[i] = AdmitOutcome.AlreadyPending; continue; }
                if (RecentlyCommitted(tx.Hash)) { outcomes[i] = AdmitOutcome.AlreadyCommitted; continue; }
                if (IsFull(tx.Encoded.Length)) { outcomes[i] = FullOutcome(); continue; }
                var arrival = _nextArrival++;
                _byArrival.Add(arrival, tx);
                _arrivalOf.Add(tx.Hash, arrival);
                _bytes += tx.Encoded.Length;
                if (tx.Type == TxType.Inception) _pendingInceptions[tx.Subject] = _pendingInceptions.GetValueOrDefault(tx.Subject) + 1;
            }

            outcomes[i] = AdmitOutcome.Admitted;
            added.Add(tx);
        }

        if (added.Count > 0) Added?.Invoke(added);
        return outcomes;
    }

    /// <summary>
    /// Candidates for a proposal: at most <paramref name="maxCount"/> transactions and
    /// <paramref name="maxBytes"/> bytes, in arrival order of their identity's first pending transaction,
    /// each identity's transactions in sequence order.
    /// </summary>
    public List<Transaction> Reap(int maxCount, int maxBytes)
    {
        List<Transaction> taken;
        lock (_lock)
        {
            taken = new List<Transaction>(Math.Min(maxCount, _byArrival.Count));
            var bytes = 0;
            foreach (var tx in _byArrival.Values)
            {
                if (taken.Count >= maxCount || bytes + tx.Encoded.Length > maxBytes) break;
                taken.Add(tx);
                bytes += tx.Encoded.Length;
            }
        }

        // Group by subject in order of first appearance; sequences ascending within a subject.
        var firstSeen = new Dictionary<IdentityId, int>();
        for (var i = 0; i < taken.Count; i++) firstSeen.TryAdd(taken[i].Subject, i);
        return [.. taken.Select((t, i) => (t, i)).OrderBy(x => firstSeen[x.t.Subject]).ThenBy(x => x.t.Sequence).ThenBy(x => x.i).Select(x => x.t)];
    }

    /// <summary>After a commit: drops the committed transactions and rechecks pending ones of the identities the block touched.</summary>
    public void Update(IReadOnlyList<Transaction> committed)
    {
        var touched = new HashSet<IdentityId>();
        var recheck = new List<Transaction>();
        lock (_lock)
        {
            var hashes = new HashSet<Hash32>(committed.Count);
            foreach (var tx in committed)
            {
                touched.Add(tx.Subject);
                hashes.Add(tx.Hash);
                RemoveLocked(tx.Hash);
            }

            _recentBlocks.Enqueue(hashes);
            if (_recentBlocks.Count > 4) _recentBlocks.Dequeue();

            if (touched.Count == 0) return;
            foreach (var tx in _byArrival.Values)
            {
                if (touched.Contains(tx.Subject)) recheck.Add(tx);
            }
        }

        Recheck(recheck);
    }

    /// <summary>Rechecks <paramref name="txs"/> against committed state and evicts those no longer valid
    /// (e.g. ones a proposal check refused).</summary>
    public void Recheck(IReadOnlyList<Transaction> txs)
    {
        foreach (var tx in txs)
        {
            var check = _ledger.CheckTransaction(tx);
            if (check.IsOk || WaitsForPredecessor(tx, check)) continue;
            bool removed;
            lock (_lock) removed = RemoveLocked(tx.Hash);
            if (!removed) continue;
            if (check.Code != ErrorCode.Duplicate) _rejections.Add(tx.Hash, check);
            Evicted?.Invoke(tx, check);
        }
    }

    /// <summary>A transaction whose sequence is ahead of the identity's next one waits for its predecessors,
    /// including the inception of an identity that is still pending here (the ledger calls it unknown).</summary>
    private bool WaitsForPredecessor(Transaction tx, TxResult check) => check.Code switch
    {
        ErrorCode.BadSequence => tx.Sequence > (_ledger.GetIdentity(tx.Subject)?.Sequence ?? 0) + 1,
        ErrorCode.UnknownIdentity => tx.Sequence > 1 && HasPendingInception(tx.Subject),
        _ => false,
    };

    private bool HasPendingInception(IdentityId id)
    {
        lock (_lock) return _pendingInceptions.ContainsKey(id);
    }

    private bool RecentlyCommitted(Hash32 hash)
    {
        foreach (var block in _recentBlocks)
        {
            if (block.Contains(hash)) return true;
        }

        return false;
    }

    private bool RemoveLocked(Hash32 hash)
    {
        if (!_arrivalOf.Remove(hash, out var arrival)) return false;
        if (!_byArrival.Remove(arrival, out var tx)) return true;
        _bytes -= tx.Encoded.Length;
        if (tx.Type == TxType.Inception && _pendingInceptions.TryGetValue(tx.Subject, out var n))
        {
            if (n > 1) _pendingInceptions[tx.Subject] = n - 1;
            else _pendingInceptions.Remove(tx.Subject);
        }

        return true;
    }

    private bool IsFull(int size) => _byArrival.Count >= _options.MaxTransactions || _bytes + size > _options.MaxBytes;

    private AdmitOutcome FullOutcome() =>
        AdmitOutcome.Full($"mempool full ({_byArrival.Count} transactions, {_bytes} bytes; limits {_options.MaxTransactions}, {_options.MaxBytes}); retry later");
}
