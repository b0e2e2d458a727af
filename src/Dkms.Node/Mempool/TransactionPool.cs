using Dkms.Core.Primitives;
using Dkms.Core.Transactions;
using Dkms.Ledger;
using Dkms.Node.Mempool.Admission;

namespace Dkms.Node.Mempool;

/// <summary>
/// The node's pool of validated transactions waiting for a block. Admission checks each transaction
/// against committed state with the ledger's full check (signatures verified once, in parallel for a
/// batch, into the ledger's signature cache, so the block does not verify them again). The pool is
/// bounded in count and bytes; proposals reap it in arrival order with each identity's transactions in
/// sequence order; after each commit it drops what was committed and fully rechecks, for each identity the
/// block touched, only the transaction next in sequence (the ones behind it wait for it and are checked when
/// their turn comes), so a commit costs per identity touched, not per transaction pending.
/// <para>
/// A transaction ahead of its identity's next sequence waits. It is <em>queued</em> when every transaction between
/// is pending here and the ledger accepts it behind them (admissible: it is gossiped and proposed behind them), and an
/// <em>orphan</em> otherwise (a gap, or an identity whose inception is not here): anyone can make orphans for nothing,
/// so they are capped per identity and in total (a share of the pool, oldest dropped first), give way to admissible
/// transactions in a full pool, are never proposed and are gossiped only once admissible (TransactionPool.Waiting.cs).
/// </para>
/// Time-dependent rules (a recovery's delay) are judged at the node's clock, as the next block will be: on an
/// idle chain the last block's time may be long past. Thread-safe, with one writer of admission
/// (<see cref="AdmissionWriter"/>): whatever judges a transaction against committed state (admission, rechecks,
/// promotion) does so under the pool's lock together with what it changes, and consensus commits the ledger and removes
/// the committed transactions under the same lock (<see cref="Commit"/>), so no judgement can straddle a commit.
/// <para>
/// Two owners: once an <see cref="AdmissionWriter"/> is made for a pool, every change comes in the turn
/// (<see cref="PoolOwnership"/>) of the writer (<see cref="AdmitBatch(IReadOnlyList{Transaction}, Func{int, bool})"/>,
/// <see cref="ExpireWaiting"/>) or of consensus (<see cref="Commit"/>, <see cref="Update"/>, <see cref="Recheck"/>), and
/// a change outside them throws. The events are raised inside that turn, on that owner's thread. A pool without a writer
/// (unit tests, tools) is a plain structure.
/// </para>
/// </summary>
public sealed partial class TransactionPool : IPendingView
{
    private readonly DkmsLedger _ledger;
    private readonly MempoolOptions _options;
    private readonly Lock _lock = new();
    // Arrival order: a sequence number per entry; removal leaves the dictionary order intact.
    private readonly SortedDictionary<long, Transaction> _byArrival = [];
    private readonly Dictionary<Hash32, long> _arrivalOf = [];
    // Each identity's pending transactions in arrival order: a commit looks at those of the identities it touched only.
    private readonly Dictionary<IdentityId, List<Transaction>> _bySubject = [];
    private readonly RejectionHistory _rejections;
    private readonly AdmissionPipeline _pipeline;
    // Transactions kept while they wait for a predecessor (queued or orphans), with when they started waiting (ms):
    // they cannot go into the next block on their own, and orphans expire after a while.
    private readonly Dictionary<Hash32, long> _waitingSince = [];
    private readonly TimeProvider _time;
    private long _nextArrival;
    private long _bytes;
    private volatile bool _owned;

    public TransactionPool(DkmsLedger ledger, MempoolOptions options, TimeProvider? time = null)
    {
        _ledger = ledger;
        _options = options;
        _time = time ?? TimeProvider.System;
        _rejections = new RejectionHistory(options.RejectedHistory);
        _pipeline = new AdmissionPipeline(ledger, options, () => (ulong)NowMs);
    }

    /// <summary>Counts what each admission filter stopped and what was admitted (the node's Prometheus metrics).</summary>
    public IAdmissionMetrics? Metrics { get; set; }

    public MempoolOptions Options => _options;

    /// <summary>Raised (outside the lock) after admission added at least one transaction; carries the new ones. Raised in
    /// the admission writer's turn only (on its loop).</summary>
    public event Action<IReadOnlyList<Transaction>>? Added;

    /// <summary>Raised (outside the lock) with transactions admitted with <c>relay</c> once they are admissible: at
    /// admission, or later when an orphan's predecessor comes. The node gossips these, in this order. Raised in the
    /// writer's turn (admission, expiry) or in consensus's (a commit's update, a failed proposal's recheck): subscribers
    /// must take calls from both loops.</summary>
    public event Action<IReadOnlyList<Transaction>>? Admissible;

    /// <summary>Raised when a pending transaction is evicted as invalid (after a commit or a failed proposal check, or when
    /// it waited too long), or an orphan is dropped for room. Raised in the writer's turn or in consensus's, as
    /// <see cref="Admissible"/>.</summary>
    public event Action<Transaction, TxResult>? Evicted;

    /// <summary>True once an <see cref="AdmissionWriter"/> owns admission: changes outside the two owners' turns throw.</summary>
    public bool IsOwned => _owned;

    /// <summary>Made by the <see cref="AdmissionWriter"/> of this pool: from now on only its turn and consensus's change it.</summary>
    internal void RequireOwners() => _owned = true;

    /// <summary>A change by <paramref name="owner"/>'s entry point <paramref name="what"/>: refused outside its turn on an
    /// owned pool (a bug: a third writer would break the consistency the two owners keep).</summary>
    private void Changing(PoolOwner owner, string what)
    {
        if (!_owned || PoolOwnership.Current == owner) return;
        var current = PoolOwnership.Current == PoolOwner.None ? "outside both owners" : $"in {PoolOwnership.Current}'s turn";
        throw new InvalidOperationException($"TransactionPool.{what} changes the pool in {owner}'s turn only; it was called {current} (docs/architecture.md, \"The pool's two owners\")");
    }

    public int Count
    {
        get { lock (_lock) return _byArrival.Count; }
    }

    public long Bytes
    {
        get { lock (_lock) return _bytes; }
    }

    /// <summary>How many more admissible transactions, and bytes, the pool accepts now (orphans give way to them).</summary>
    public (int Count, long Bytes) Room
    {
        get
        {
            lock (_lock) return (_options.MaxTransactions - (_byArrival.Count - _orphans.Count), _options.MaxBytes - (_bytes - _orphanBytes));
        }
    }

    /// <summary>Pending transactions that could go into the next block (not waiting for a predecessor). An idle
    /// chain proposes only when this is positive, so waiting transactions never cause empty blocks.</summary>
    public int ReadyCount
    {
        get { lock (_lock) return _byArrival.Count - _waitingSince.Count; }
    }

    /// <summary>True when <paramref name="hash"/> is pending and waiting for a predecessor (queued or an orphan).</summary>
    public bool IsWaiting(Hash32 hash)
    {
        lock (_lock) return _waitingSince.ContainsKey(hash);
    }

    public bool Contains(Hash32 hash)
    {
        lock (_lock) return _arrivalOf.ContainsKey(hash);
    }

    /// <summary>The reason a recently rejected or evicted transaction was refused.</summary>
    public bool TryGetRejection(Hash32 hash, out TxResult result) => _rejections.TryGet(hash, out result, out _);

    /// <summary>As <see cref="TryGetRejection(Hash32, out TxResult)"/>; <paramref name="mempoolFull"/> when the pool was full.</summary>
    public bool TryGetRejection(Hash32 hash, out TxResult result, out bool mempoolFull) => _rejections.TryGet(hash, out result, out mempoolFull);

    public AdmitOutcome Admit(Transaction tx, bool relay = false) => AdmitBatch([tx], relay)[0];

    /// <summary>As <see cref="AdmitBatch(IReadOnlyList{Transaction}, Func{int, bool})"/>, every transaction relayed or none.</summary>
    public AdmitOutcome[] AdmitBatch(IReadOnlyList<Transaction> txs, bool relay = false) => AdmitBatch(txs, _ => relay);

    /// <summary>Admits a batch through the filters of <see cref="AdmissionPipeline"/>: screening of the whole batch, the
    /// signatures of what passed verified on all cores, then each transaction judged and inserted under one hold of the
    /// lock. One outcome per transaction. The node calls this from its one admission writer (<see cref="AdmissionWriter"/>)
    /// only. Once one is refused for a full pool, so are all after it, even if a commit makes room meanwhile: a later
    /// transaction of an identity must not get in ahead of its refused predecessor, or a pool full of such transactions
    /// would keep their predecessors out until they expire. Each admitted one for which <paramref name="relayAt"/> (its
    /// index) is true (transactions from this node's clients) is raised in <see cref="Admissible"/> as soon as it is
    /// admissible.</summary>
    public AdmitOutcome[] AdmitBatch(IReadOnlyList<Transaction> txs, Func<int, bool> relayAt)
    {
        Changing(PoolOwner.Admission, nameof(AdmitBatch));
        var outcomes = new AdmitOutcome[txs.Count];
        var fresh = new List<int>(txs.Count);
        var full = false;
        lock (_lock)
        {
            for (var i = 0; i < txs.Count; i++)
            {
                var (verdict, filter) = full
                    ? (FilterVerdict.Stop(FullOutcome()), "capacity")
                    : AdmissionPipeline.Run(_pipeline.Screening, new Candidate(txs[i]), this);
                if (verdict.Kind == VerdictKind.Pass)
                {
                    fresh.Add(i);
                    continue;
                }

                full |= verdict.Outcome.Status == AdmitStatus.Full;
                outcomes[i] = Stopped(txs[i], verdict.Outcome, filter);
            }
        }

        if (fresh.Count == 0) return outcomes;
        var judging = _pipeline.Judging([.. fresh.Select(i => txs[i])]);
        HashSet<IdentityId>? promote = null;
        var refuseRest = false; // the screening refused only transactions after every fresh one
        var dropped = new List<(Transaction Tx, TxResult Why)>();
        var added = new List<Transaction>(fresh.Count);
        var admissible = new List<Transaction>();
        foreach (var i in fresh)
        {
            var tx = txs[i];
            Standing standing;
            lock (_lock)
            {
                var (verdict, filter) = AdmissionPipeline.Run(judging, new Candidate(tx), this);
                if (verdict.Kind != VerdictKind.Keep)
                {
                    outcomes[i] = Stopped(tx, verdict.Outcome, filter);
                    continue;
                }

                standing = verdict.Standing;
                // An admissible transaction takes its slot from orphans claiming it (junk, or a form that lost the race).
                if (standing != Standing.Orphan) DropOrphansAtSlotLocked(tx, dropped);
                var limit = TxResult.Success;
                var room = refuseRest ? RoomVerdict.Full : MakeRoomLocked(tx, standing, dropped, out limit);
                if (room == RoomVerdict.Full)
                {
                    refuseRest = true;
                    outcomes[i] = Stopped(tx, FullOutcome(), "capacity");
                    continue;
                }

                if (room == RoomVerdict.OverLimit)
                {
                    outcomes[i] = Stopped(tx, AdmitOutcome.Rejected(limit), "waiting");
                    continue;
                }

                InsertLocked(tx, standing, relayAt(i));
                if (standing != Standing.Orphan && HasOrphansLocked(tx.Subject)) (promote ??= []).Add(tx.Subject);
            }

            Metrics?.Admitted();
            outcomes[i] = AdmitOutcome.Admitted;
            added.Add(tx);
            if (relayAt(i) && standing != Standing.Orphan) admissible.Add(tx);
        }

        ReportDropped(dropped);
        // Before any promotion below: a predecessor is relayed before the transactions it makes admissible.
        if (admissible.Count > 0) Admissible?.Invoke(admissible);
        foreach (var subject in promote ?? []) Promote(subject);
        if (added.Count > 0) Added?.Invoke(added);
        return outcomes;
    }

    /// <summary>Counts a transaction a filter stopped and remembers a refusal for <c>tx.status</c>: a full pool so that
    /// an asynchronous submitter learns it must resubmit; a refusal of one signed form (or of a taken slot) without
    /// overwriting what another form got.</summary>
    private AdmitOutcome Stopped(Transaction tx, AdmitOutcome outcome, string filter)
    {
        Metrics?.Stopped(filter);
        if (outcome.Status == AdmitStatus.Full) _rejections.Add(tx.Hash, outcome.Result, mempoolFull: true);
        else if (outcome.Status == AdmitStatus.Rejected) _rejections.Add(tx.Hash, outcome.Result, overwrite: filter != "duplicate" && !IsFormFailure(outcome.Result));
        return outcome;
    }

    bool IPendingView.IsPending(Hash32 hash) => _arrivalOf.ContainsKey(hash);

    Transaction? IPendingView.SlotHolder(Transaction tx) => SlotHolderLocked(tx);

    bool IPendingView.IsFullFor(int size, out AdmitOutcome full)
    {
        full = IsFullForAdmissible(size) ? FullOutcome() : default;
        return full.Status == AdmitStatus.Full;
    }

    Transaction[]? IPendingView.AdmissibleRun(IdentityId subject, ulong next, ulong sequence) => AdmissibleRunLocked(subject, next, sequence);

    /// <summary>
    /// Candidates for a proposal: at most <paramref name="maxCount"/> transactions and
    /// <paramref name="maxBytes"/> bytes, in arrival order of their identity's first pending transaction,
    /// each identity's transactions in sequence order. Orphans are never candidates.
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
            // Ready transactions first; then queued ones only behind a ready one of their identity (their
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
                foreach (var (arrival, tx) in _byArrival)
                {
                    if (taken.Count >= maxCount) break;
                    if (!_waitingSince.ContainsKey(tx.Hash) || _orphans.ContainsKey(arrival) || !subjects.Contains(tx.Subject)
                        || bytes + tx.Encoded.Length > maxBytes)
                    {
                        continue;
                    }

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

    /// <summary>After a commit made elsewhere (tests, tools): as <see cref="Commit"/> with the ledger committed already.</summary>
    public void Update(IReadOnlyList<Transaction> committed) => Commit(committed, null);

    /// <summary>Consensus's step after a decision: <paramref name="commitLedger"/> (the ledger's commit) and the removal of
    /// the committed transactions under one hold of the pool's lock, so admission — which judges under the same lock —
    /// sees the ledger and the pool both before or both after the commit. Then, for each identity the block touched,
    /// the pending transaction next in sequence is rechecked; later ones wait for it, earlier ones are stale and are
    /// evicted. Orphans of a touched identity that the commit made admissible are promoted.</summary>
    public void Commit(IReadOnlyList<Transaction> committed, Action? commitLedger)
    {
        Changing(PoolOwner.Consensus, nameof(Commit));
        var recheck = new List<Transaction>();
        var subjects = new HashSet<IdentityId>();
        lock (_lock)
        {
            commitLedger?.Invoke();
            foreach (var tx in committed)
            {
                subjects.Add(tx.Subject);
                RemoveLocked(tx.Hash);
            }

            var now = NowMs;
            foreach (var subject in subjects)
            {
                if (!_bySubject.TryGetValue(subject, out var pending)) continue;
                var sequence = _ledger.CommittedSequence(subject);
                foreach (var tx in pending)
                {
                    if (tx.Sequence > sequence + 1) _waitingSince.TryAdd(tx.Hash, now);
                    else recheck.Add(tx); // next in line, or stale (its sequence was taken): the full check decides
                }
            }
        }

        RecheckInTurn(recheck);
        foreach (var subject in subjects) Promote(subject);
        // Part of the update after a commit: what waited too long goes now, as the writer's periodic expiry would.
        ExpireDue();
    }

    private void InsertLocked(Transaction tx, Standing standing, bool relay)
    {
        var arrival = _nextArrival++;
        _byArrival.Add(arrival, tx);
        _arrivalOf.Add(tx.Hash, arrival);
        if (!_bySubject.TryGetValue(tx.Subject, out var ofSubject)) _bySubject[tx.Subject] = ofSubject = [];
        ofSubject.Add(tx);
        _bytes += tx.Encoded.Length;
        if (standing == Standing.Ready) return;
        _waitingSince[tx.Hash] = NowMs;
        if (standing != Standing.Orphan) return;
        AddOrphanLocked(arrival, tx);
        if (relay) _relayWhenAdmissible.Add(tx.Hash);
    }

    /// <summary>
    /// The admissible pending transaction that already holds <paramref name="tx"/>'s slot (its subject and sequence), if
    /// any. Only one transaction can commit at a slot, so the pool keeps one admissible transaction per slot: otherwise
    /// one identity's conflicting transactions, each valid alone, could fill the pool (and every block but one of them
    /// would be dropped). Orphans do not hold a slot — they are unverified and an admissible arrival drops them.
    /// </summary>
    private Transaction? SlotHolderLocked(Transaction tx)
    {
        if (!_bySubject.TryGetValue(tx.Subject, out var pending)) return null;
        foreach (var t in pending)
        {
            if (t.Sequence == tx.Sequence && !IsOrphanLocked(t)) return t;
        }

        return null;
    }

    private void DropOrphansAtSlotLocked(Transaction tx, List<(Transaction Tx, TxResult Why)> dropped)
    {
        if (!_bySubject.TryGetValue(tx.Subject, out var pending)) return;
        foreach (var orphan in pending.Where(t => t.Sequence == tx.Sequence && IsOrphanLocked(t)).ToArray())
        {
            RemoveLocked(orphan.Hash);
            dropped.Add((orphan, SlotTaken));
        }
    }

    /// <summary>A failure of one signed form, not of the transaction (its body): another form may still be valid.</summary>
    private static bool IsFormFailure(TxResult result) => result.Code is ErrorCode.BadSignature or ErrorCode.Malformed;

    private static readonly TxResult SlotTaken = TxResult.Fail(ErrorCode.BadSequence,
        "dropped from the mempool: an admissible transaction took its sequence");

    private bool RemoveLocked(Hash32 hash)
    {
        if (!_arrivalOf.Remove(hash, out var arrival)) return false;
        _waitingSince.Remove(hash);
        _relayWhenAdmissible.Remove(hash);
        if (!_byArrival.Remove(arrival, out var tx)) return true;
        _bytes -= tx.Encoded.Length;
        if (_orphans.Remove(arrival)) _orphanBytes -= tx.Encoded.Length;
        if (_bySubject.TryGetValue(tx.Subject, out var ofSubject) && ofSubject.Remove(tx) && ofSubject.Count == 0) _bySubject.Remove(tx.Subject);

        return true;
    }

    /// <summary>No room for another admissible transaction even after dropping every orphan.</summary>
    private bool IsFullForAdmissible(int size) =>
        _byArrival.Count - _orphans.Count >= _options.MaxTransactions || _bytes - _orphanBytes + size > _options.MaxBytes;

    private AdmitOutcome FullOutcome() =>
        AdmitOutcome.Full($"mempool full ({_byArrival.Count} transactions, {_bytes} bytes; limits {_options.MaxTransactions}, {_options.MaxBytes}); retry later");

    private long NowMs => _time.GetUtcNow().ToUnixTimeMilliseconds();
}
