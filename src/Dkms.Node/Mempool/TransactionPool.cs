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
/// sequence order; after each commit it drops what was committed and fully rechecks, for each identity the
/// block touched, only the transaction next in sequence (the ones behind it wait for it and are checked when
/// their turn comes), so a commit costs per identity touched, not per transaction pending.
/// Time-dependent rules (a recovery's delay) are judged at the node's clock, as the next block will be: on an
/// idle chain the last block's time may be long past. Thread-safe: RPC and gossip admit concurrently while
/// the consensus loop reaps and updates.
/// </summary>
public sealed class TransactionPool
{
    private readonly DkmsLedger _ledger;
    private readonly MempoolOptions _options;
    private readonly Lock _lock = new();
    // Arrival order: a sequence number per entry; removal leaves the dictionary order intact.
    private readonly SortedDictionary<long, Transaction> _byArrival = [];
    private readonly Dictionary<Hash32, long> _arrivalOf = [];
    // Each identity's pending transactions: a commit looks at those of the identities it touched only.
    private readonly Dictionary<IdentityId, List<Transaction>> _bySubject = [];
    private readonly RejectionHistory _rejections;
    // Hashes of the last blocks' transactions: an admission checked just before a commit must not add a
    // transaction the commit just removed (it would be proposed again and dropped, an empty block).
    private readonly Queue<HashSet<Hash32>> _recentBlocks = new();
    // Transactions kept while they wait for a predecessor (a lower sequence, or an inception not seen yet),
    // with when they started waiting (ms): they cannot go into the next block and expire after a while.
    private readonly Dictionary<Hash32, long> _waitingSince = [];
    private readonly TimeProvider _time;
    private long _nextArrival;
    // Counts commits seen by Update: admission compares it before its check and at insertion (see AdmitBatch).
    private long _commits;
    private long _bytes;

    public TransactionPool(DkmsLedger ledger, MempoolOptions options, TimeProvider? time = null)
    {
        _ledger = ledger;
        _options = options;
        _time = time ?? TimeProvider.System;
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

    /// <summary>How many more transactions, and bytes, the pool accepts now.</summary>
    public (int Count, long Bytes) Room
    {
        get
        {
            lock (_lock) return (_options.MaxTransactions - _byArrival.Count, _options.MaxBytes - _bytes);
        }
    }

    /// <summary>Pending transactions that could go into the next block (not waiting for a predecessor). An idle
    /// chain proposes only when this is positive, so waiting transactions never cause empty blocks.</summary>
    public int ReadyCount
    {
        get { lock (_lock) return _byArrival.Count - _waitingSince.Count; }
    }

    /// <summary>True when <paramref name="hash"/> is pending and waiting for a predecessor.</summary>
    public bool IsWaiting(Hash32 hash) => IsWaiting(hash, out _);

    private bool IsWaiting(Hash32 hash, out long since)
    {
        lock (_lock) return _waitingSince.TryGetValue(hash, out since);
    }

    public bool Contains(Hash32 hash)
    {
        lock (_lock) return _arrivalOf.ContainsKey(hash);
    }

    /// <summary>The reason a recently rejected or evicted transaction was refused.</summary>
    public bool TryGetRejection(Hash32 hash, out TxResult result) => _rejections.TryGet(hash, out result, out _);

    /// <summary>As <see cref="TryGetRejection(Hash32, out TxResult)"/>; <paramref name="mempoolFull"/> when the pool was full.</summary>
    public bool TryGetRejection(Hash32 hash, out TxResult result, out bool mempoolFull) => _rejections.TryGet(hash, out result, out mempoolFull);

    public AdmitOutcome Admit(Transaction tx) => AdmitBatch([tx])[0];

    /// <summary>Admits a batch: signatures of the whole batch are verified on all cores first, then each
    /// transaction is checked in order. One outcome per transaction. Once one is refused for a full pool, so are
    /// all after it, even if a commit makes room meanwhile: a later transaction of an identity must not get in
    /// ahead of its refused predecessor, or a pool full of such transactions would keep their predecessors out
    /// until they expire.</summary>
    public AdmitOutcome[] AdmitBatch(IReadOnlyList<Transaction> txs)
    {
        var outcomes = new AdmitOutcome[txs.Count];
        var fresh = new List<Transaction>(txs.Count);
        var isFresh = new bool[txs.Count];
        var full = false;
        long commitsBefore;
        lock (_lock)
        {
            commitsBefore = _commits;
            for (var i = 0; i < txs.Count; i++)
            {
                if (_arrivalOf.ContainsKey(txs[i].Hash)) outcomes[i] = AdmitOutcome.AlreadyPending;
                else if (full || IsFull(txs[i].Encoded.Length))
                {
                    full = true;
                    RememberFull(txs[i], outcomes[i] = FullOutcome());
                }
                else
                {
                    fresh.Add(txs[i]);
                    isFresh[i] = true;
                }
            }
        }

        if (fresh.Count == 0) return outcomes;
        SignatureVerifier.Prefetch(fresh, _ledger.Signatures);
        // A transaction judged "waiting" before a commit that included its predecessor and inserted after that
        // commit's Update would wait for a predecessor already committed: nothing would recheck it until it expired.
        List<Transaction>? recheck = null;
        var refuseRest = false; // the first pass refused only transactions after every fresh one

        var added = new List<Transaction>(fresh.Count);
        for (var i = 0; i < txs.Count; i++)
        {
            if (!isFresh[i]) continue;
            var tx = txs[i];
            var check = _ledger.CheckTransaction(tx, (ulong)NowMs);
            var waits = !check.IsOk && WaitsForPredecessor(tx, check);
            if (!check.IsOk && !waits && CommitsSince(commitsBefore))
            {
                // The check may have seen the state before a commit and WaitsForPredecessor the state after it
                // (a "bad sequence" that is in fact the next one now): judge it again on one state.
                check = _ledger.CheckTransaction(tx, (ulong)NowMs);
                waits = !check.IsOk && WaitsForPredecessor(tx, check);
            }

            if (!check.IsOk && !waits)
            {
                outcomes[i] = check.Code == ErrorCode.Duplicate ? AdmitOutcome.AlreadyCommitted : AdmitOutcome.Rejected(check);
                if (!outcomes[i].IsAccepted) _rejections.Add(tx.Hash, check);
                continue;
            }

            lock (_lock)
            {
                if (_arrivalOf.ContainsKey(tx.Hash)) { outcomes[i] = AdmitOutcome.AlreadyPending; continue; }
                if (RecentlyCommitted(tx.Hash)) { outcomes[i] = AdmitOutcome.AlreadyCommitted; continue; }
                if (refuseRest || IsFull(tx.Encoded.Length))
                {
                    refuseRest = true;
                    RememberFull(tx, outcomes[i] = FullOutcome());
                    continue;
                }

                if (waits)
                {
                    _waitingSince[tx.Hash] = NowMs;
                    if (_commits != commitsBefore) (recheck ??= []).Add(tx);
                }

                var arrival = _nextArrival++;
                _byArrival.Add(arrival, tx);
                _arrivalOf.Add(tx.Hash, arrival);
                if (!_bySubject.TryGetValue(tx.Subject, out var ofSubject)) _bySubject[tx.Subject] = ofSubject = [];
                ofSubject.Add(tx);
                _bytes += tx.Encoded.Length;
            }

            outcomes[i] = AdmitOutcome.Admitted;
            added.Add(tx);
        }

        if (recheck is not null) Recheck(recheck);
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
        var firstArrival = new Dictionary<IdentityId, long>();
        lock (_lock)
        {
            taken = new List<Transaction>(Math.Min(maxCount, _byArrival.Count));
            var subjects = new HashSet<IdentityId>();
            var bytes = 0;
            // Ready transactions first; then waiting ones only behind a ready one of their identity (their
            // predecessor may be in this block) — alone they would take block space and be dropped.
            foreach (var tx in _byArrival.Values)
            {
                if (taken.Count >= maxCount) break;
                if (_waitingSince.ContainsKey(tx.Hash) || bytes + tx.Encoded.Length > maxBytes) continue;
                subjects.Add(tx.Subject);
                taken.Add(tx);
                bytes += tx.Encoded.Length;
            }

            if (_waitingSince.Count > 0)
            {
                foreach (var tx in _byArrival.Values)
                {
                    if (taken.Count >= maxCount) break;
                    if (!_waitingSince.ContainsKey(tx.Hash) || !subjects.Contains(tx.Subject) || bytes + tx.Encoded.Length > maxBytes) continue;
                    taken.Add(tx);
                    bytes += tx.Encoded.Length;
                }
            }

            // Group by subject in order of the subject's first arrival; sequences ascending within a subject.
            foreach (var tx in taken)
            {
                var arrival = _arrivalOf[tx.Hash];
                if (!firstArrival.TryGetValue(tx.Subject, out var first) || arrival < first) firstArrival[tx.Subject] = arrival;
            }
        }

        return [.. taken.Select((t, i) => (t, i)).OrderBy(x => firstArrival[x.t.Subject]).ThenBy(x => x.t.Sequence).ThenBy(x => x.i).Select(x => x.t)];
    }

    /// <summary>After a commit: drops the committed transactions and, for each identity the block touched, rechecks
    /// the pending transaction next in sequence; later ones wait for it, earlier ones are stale and are evicted.</summary>
    public void Update(IReadOnlyList<Transaction> committed)
    {
        var touched = new List<(IdentityId Subject, Transaction[] Pending)>();
        lock (_lock)
        {
            var hashes = new HashSet<Hash32>(committed.Count);
            var subjects = new HashSet<IdentityId>();
            foreach (var tx in committed)
            {
                subjects.Add(tx.Subject);
                hashes.Add(tx.Hash);
                RemoveLocked(tx.Hash);
            }

            _commits++;
            _recentBlocks.Enqueue(hashes);
            if (_recentBlocks.Count > 4) _recentBlocks.Dequeue();
            foreach (var subject in subjects)
            {
                if (_bySubject.TryGetValue(subject, out var pending)) touched.Add((subject, [.. pending]));
            }
        }

        var recheck = new List<Transaction>();
        var nowWaiting = new List<Transaction>();
        foreach (var (subject, pending) in touched)
        {
            var sequence = _ledger.CommittedSequence(subject);
            foreach (var tx in pending)
            {
                if (tx.Sequence > sequence + 1) nowWaiting.Add(tx);
                else recheck.Add(tx); // next in line, or stale (its sequence was taken): the full check decides
            }
        }

        if (nowWaiting.Count > 0)
        {
            var now = NowMs;
            lock (_lock)
            {
                foreach (var tx in nowWaiting)
                {
                    if (_arrivalOf.ContainsKey(tx.Hash)) _waitingSince.TryAdd(tx.Hash, now);
                }
            }
        }

        Recheck(recheck);
        ExpireWaiting();
    }

    /// <summary>Evicts transactions that waited longer than <see cref="MempoolOptions.WaitingTimeoutMs"/> for a
    /// predecessor. Commits do this too; the node also calls it on a timer, so an idle chain expires them.</summary>
    public void ExpireWaiting()
    {
        var expired = NowMs - _options.WaitingTimeoutMs;
        List<Transaction> due;
        lock (_lock)
        {
            if (_waitingSince.Count == 0) return;
            due = [.. _waitingSince.Where(w => w.Value < expired).Select(w => _byArrival[_arrivalOf[w.Key]])];
        }

        if (due.Count > 0) Recheck(due);
    }

    /// <summary>Rechecks <paramref name="txs"/> against committed state and evicts those no longer valid
    /// (e.g. ones a proposal check refused).</summary>
    public void Recheck(IReadOnlyList<Transaction> txs)
    {
        var expired = NowMs - _options.WaitingTimeoutMs;
        foreach (var tx in txs)
        {
            long commitsBefore;
            lock (_lock) commitsBefore = _commits;
            // Still far ahead of the identity's sequence: no need for the full check (the common case for a
            // chain of one identity's transactions submitted together).
            if (IsWaiting(tx.Hash, out var waitingSince) && waitingSince >= expired
                && tx.Sequence > _ledger.CommittedSequence(tx.Subject) + 1)
            {
                continue;
            }

            var check = _ledger.CheckTransaction(tx, (ulong)NowMs);
            if (check.IsOk)
            {
                lock (_lock) _waitingSince.Remove(tx.Hash);
                continue;
            }

            if (WaitsForPredecessor(tx, check))
            {
                lock (_lock)
                {
                    // A verdict from before a commit (made off the consensus thread: the expiry timer, admission) is
                    // stale; the commit's own Update rechecked what it touched.
                    if (!_arrivalOf.ContainsKey(tx.Hash) || _commits != commitsBefore) continue;
                    if (!_waitingSince.TryGetValue(tx.Hash, out var since)) _waitingSince[tx.Hash] = NowMs;
                    else if (since >= expired) continue;
                    else if (HasPendingPredecessorLocked(tx))
                    {
                        // Its predecessor did come and is waiting for a block (a backlog, not a gap): wait another period.
                        _waitingSince[tx.Hash] = NowMs;
                        continue;
                    }
                    else check = TxResult.Fail(check.Code, $"{check.Message}; waited {_options.WaitingTimeoutMs} ms for its predecessor, which never came");
                }
            }

            bool removed;
            lock (_lock)
            {
                if (_commits != commitsBefore) continue;
                removed = RemoveLocked(tx.Hash);
            }

            if (!removed) continue;
            if (check.Code != ErrorCode.Duplicate) _rejections.Add(tx.Hash, check);
            Evicted?.Invoke(tx, check);
        }
    }

    /// <summary>A transaction whose sequence is ahead of the identity's next one waits for its predecessors,
    /// including the inception of an identity not committed yet (the ledger calls it unknown). Such transactions
    /// wait at most <see cref="MempoolOptions.WaitingTimeoutMs"/>.</summary>
    private bool WaitsForPredecessor(Transaction tx, TxResult check) => check.Code switch
    {
        ErrorCode.BadSequence => tx.Sequence > _ledger.CommittedSequence(tx.Subject) + 1,
        // The inception may be pending here, or still on its way from another validator's gossip.
        ErrorCode.UnknownIdentity => tx.Sequence > 1,
        _ => false,
    };

    private bool CommitsSince(long commits)
    {
        lock (_lock) return _commits != commits;
    }

    /// <summary>True when the transactions before <paramref name="tx"/> are pending without a gap, down to one that
    /// is ready (next in line): a backlog. A run that ends in a waiting one is stuck behind a missing transaction.</summary>
    private bool HasPendingPredecessorLocked(Transaction tx)
    {
        if (!_bySubject.TryGetValue(tx.Subject, out var pending)) return false;
        for (var sequence = tx.Sequence - 1; sequence > 0; sequence--)
        {
            var predecessor = pending.Find(t => t.Sequence == sequence);
            if (predecessor is null) return false;
            if (!_waitingSince.ContainsKey(predecessor.Hash)) return true;
        }

        return false;
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
        _waitingSince.Remove(hash);
        if (!_byArrival.Remove(arrival, out var tx)) return true;
        _bytes -= tx.Encoded.Length;
        if (_bySubject.TryGetValue(tx.Subject, out var ofSubject) && ofSubject.Remove(tx) && ofSubject.Count == 0) _bySubject.Remove(tx.Subject);

        return true;
    }

    private bool IsFull(int size) => _byArrival.Count >= _options.MaxTransactions || _bytes + size > _options.MaxBytes;

    private AdmitOutcome FullOutcome() =>
        AdmitOutcome.Full($"mempool full ({_byArrival.Count} transactions, {_bytes} bytes; limits {_options.MaxTransactions}, {_options.MaxBytes}); retry later");

    /// <summary>A refusal for a full pool is remembered too, so an asynchronous submitter asking <c>tx.status</c>
    /// learns it must resubmit instead of seeing "unknown".</summary>
    private void RememberFull(Transaction tx, AdmitOutcome outcome) => _rejections.Add(tx.Hash, outcome.Result, mempoolFull: true);

    private long NowMs => _time.GetUtcNow().ToUnixTimeMilliseconds();
}
