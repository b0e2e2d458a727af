using Dkms.Core.Primitives;
using Dkms.Core.Transactions;
using Dkms.Node.Mempool.Admission;

namespace Dkms.Node.Mempool;

/// <summary>
/// Transactions ahead of their identity's next sequence. Queued ones were accepted by the ledger behind the pending
/// transactions before them; orphans have no such run (a gap, or an identity not incepted here) and cost their sender
/// nothing, so: at most <see cref="MempoolOptions.MaxSequenceAhead"/> ahead, at most
/// <see cref="MempoolOptions.MaxOrphansPerIdentity"/> per identity, together at most
/// <see cref="MempoolOptions.OrphanSharePercent"/> of the pool (the oldest makes way for a new one), dropped first when an
/// admissible transaction needs room, never proposed, relayed only when promoted, expired after
/// <see cref="MempoolOptions.WaitingTimeoutMs"/>.
/// </summary>
public sealed partial class TransactionPool
{
    private enum RoomVerdict
    {
        Made,
        Full,
        OverLimit,
    }

    // Orphans by arrival, oldest first: the first dropped when their share is used up or an admissible transaction
    // needs room.
    private readonly SortedDictionary<long, Transaction> _orphans = [];
    private long _orphanBytes;
    // Orphans admitted with relay: raised in Admissible when promoted.
    private readonly HashSet<Hash32> _relayWhenAdmissible = [];

    /// <summary>Pending orphans: waiting for a predecessor that is neither committed nor admissible here.</summary>
    public int OrphanCount
    {
        get { lock (_lock) return _orphans.Count; }
    }

    public bool IsOrphan(Hash32 hash)
    {
        lock (_lock) return _arrivalOf.TryGetValue(hash, out var arrival) && _orphans.ContainsKey(arrival);
    }

    /// <summary>One admissible pending transaction for each sequence from <paramref name="next"/> to just before
    /// <paramref name="sequence"/> (the first to arrive), or null when one is missing.</summary>
    private Transaction[]? AdmissibleRunLocked(IdentityId subject, ulong next, ulong sequence)
    {
        if (sequence <= next) return [];
        if (!_bySubject.TryGetValue(subject, out var pending)) return null;
        var run = new Transaction?[sequence - next];
        foreach (var t in pending)
        {
            if (t.Sequence < next || t.Sequence >= sequence || IsOrphanLocked(t)) continue;
            run[t.Sequence - next] ??= t;
        }

        return Array.TrueForAll(run, t => t is not null) ? [.. run.Select(t => t!)] : null;
    }

    /// <summary>Makes room for <paramref name="tx"/>, dropping orphans (oldest first) into <paramref name="dropped"/>
    /// as needed. OverLimit (with <paramref name="limit"/>) when a per-identity cap refuses it.</summary>
    private RoomVerdict MakeRoomLocked(Transaction tx, Standing standing, List<(Transaction Tx, TxResult Why)> dropped, out TxResult limit)
    {
        limit = TxResult.Success;
        var size = tx.Encoded.Length;
        if (standing != Standing.Ready && _bySubject.TryGetValue(tx.Subject, out var pending))
        {
            var waiting = pending.Count(t => _waitingSince.ContainsKey(t.Hash));
            if (waiting >= _options.MaxSequenceAhead)
            {
                limit = TxResult.Fail(ErrorCode.LimitExceeded,
                    $"{tx.Subject} already has {waiting} transactions waiting in the mempool (at most {_options.MaxSequenceAhead}); retry once some have committed");
                return RoomVerdict.OverLimit;
            }

            var orphans = standing == Standing.Orphan ? pending.Count(IsOrphanLocked) : 0;
            if (orphans >= _options.MaxOrphansPerIdentity)
            {
                limit = TxResult.Fail(ErrorCode.LimitExceeded,
                    $"{tx.Subject} already has {orphans} transactions waiting for a predecessor that is not here (at most {_options.MaxOrphansPerIdentity}); submit the missing one first");
                return RoomVerdict.OverLimit;
            }
        }

        if (standing == Standing.Orphan)
        {
            if (_options.MaxOrphans == 0 || size > _options.MaxOrphanBytes || _options.MaxOrphansPerIdentity == 0)
            {
                limit = TxResult.Fail(ErrorCode.LimitExceeded, "this node keeps no transactions waiting for a predecessor it does not have; submit the missing one first");
                return RoomVerdict.OverLimit;
            }

            while (_orphans.Count >= _options.MaxOrphans || _orphanBytes + size > _options.MaxOrphanBytes) DropOldestOrphanLocked(dropped);
        }
        else if (IsFullForAdmissible(size))
        {
            return RoomVerdict.Full;
        }

        while (_byArrival.Count >= _options.MaxTransactions || _bytes + size > _options.MaxBytes)
        {
            if (_orphans.Count == 0) return RoomVerdict.Full; // an orphan in a pool full of admissible transactions
            DropOldestOrphanLocked(dropped);
        }

        return RoomVerdict.Made;
    }

    private static readonly TxResult OrphanDropped = TxResult.Fail(ErrorCode.LimitExceeded,
        "dropped from the mempool: it waited for a predecessor this node does not have, and its room went to newer transactions; resubmit it after its predecessor");

    private void DropOldestOrphanLocked(List<(Transaction Tx, TxResult Why)> dropped)
    {
        var oldest = _orphans.First().Value;
        RemoveLocked(oldest.Hash);
        dropped.Add((oldest, OrphanDropped));
    }

    /// <summary>Dropped orphans are remembered as refused for room (a submitter asking <c>tx.status</c> resubmits) and
    /// their waiters are told.</summary>
    private void ReportDropped(List<(Transaction Tx, TxResult Why)> dropped)
    {
        foreach (var (tx, why) in dropped)
        {
            _rejections.Add(tx.Hash, why, mempoolFull: true);
            Evicted?.Invoke(tx, why);
        }
    }

    private void AddOrphanLocked(long arrival, Transaction tx)
    {
        if (!_orphans.TryAdd(arrival, tx)) return;
        _orphanBytes += tx.Encoded.Length;
    }

    private bool RemoveOrphanLocked(long arrival)
    {
        if (!_orphans.Remove(arrival, out var tx)) return false;
        _orphanBytes -= tx.Encoded.Length;
        return true;
    }

    private bool IsOrphanLocked(Transaction tx) => _arrivalOf.TryGetValue(tx.Hash, out var arrival) && _orphans.ContainsKey(arrival);

    private bool HasOrphansLocked(IdentityId subject) =>
        _orphans.Count > 0 && _bySubject.TryGetValue(subject, out var pending) && pending.Exists(IsOrphanLocked);

    /// <summary>
    /// Orphans of <paramref name="subject"/> that the pending transactions before them now make admissible become queued
    /// (or ready) and are relayed; an orphan the ledger refuses in its place behind them is evicted with the ledger's
    /// reason. One ordered check of the identity's pending transactions; nothing to do without orphans.
    /// </summary>
    private void Promote(IdentityId subject)
    {
        var relay = new List<Transaction>();
        var evicted = new List<(Transaction Tx, TxResult Why)>();
        // Under the lock: judged on the committed state the pool was last updated to, and changed before any commit.
        lock (_lock)
        {
            // Called for every identity a commit touched: without orphans it must cost no ledger read.
            if (!HasOrphansLocked(subject)) return;
            var next = _ledger.CommittedSequence(subject) + 1;
            var pending = _bySubject[subject];
            // Per sequence the admissible ones first, so an orphan only takes a place nobody admissible holds; the
            // sort is stable, so arrival order after that.
            List<Transaction> run = [.. pending.Where(t => t.Sequence >= next).OrderBy(t => t.Sequence).ThenBy(t => IsOrphanLocked(t) ? 1 : 0)];
            if (run.Count == 0) return;
            var results = _ledger.CheckInOrder(run, (ulong)NowMs);
            var expected = next;
            for (var i = 0; i < run.Count; i++)
            {
                var tx = run[i];
                if (results[i].IsOk)
                {
                    expected = tx.Sequence + 1;
                    if (!_arrivalOf.TryGetValue(tx.Hash, out var arrival) || !RemoveOrphanLocked(arrival)) continue;
                    if (tx.Sequence == next) _waitingSince.Remove(tx.Hash);
                    if (_relayWhenAdmissible.Remove(tx.Hash)) relay.Add(tx);
                }
                else if (tx.Sequence == expected && results[i].Code is not (ErrorCode.BadSequence or ErrorCode.UnknownIdentity or ErrorCode.Duplicate)
                         && IsOrphanLocked(tx) && RemoveLocked(tx.Hash))
                {
                    evicted.Add((tx, results[i]));
                }
            }
        }

        if (relay.Count > 0) Admissible?.Invoke(relay);
        foreach (var (tx, why) in evicted)
        {
            _rejections.Add(tx.Hash, why);
            Evicted?.Invoke(tx, why);
        }
    }

    /// <summary>After an admissible transaction left without committing: the queued ones behind it have lost their run
    /// (unless another admissible transaction holds its place) and become orphans, within the orphans' share.</summary>
    private void DemoteSuccessorsLocked(Transaction gone, List<(Transaction Tx, TxResult Why)> dropped)
    {
        if (!_bySubject.TryGetValue(gone.Subject, out var pending)) return;
        if (pending.Exists(t => t.Sequence == gone.Sequence && !IsOrphanLocked(t))) return;
        foreach (var t in pending)
        {
            if (t.Sequence > gone.Sequence && _waitingSince.ContainsKey(t.Hash)) AddOrphanLocked(_arrivalOf[t.Hash], t);
        }

        while (_orphans.Count > 0 && (_orphans.Count > _options.MaxOrphans || _orphanBytes > _options.MaxOrphanBytes)) DropOldestOrphanLocked(dropped);
    }

    /// <summary>Evicts orphans that waited longer than <see cref="MempoolOptions.WaitingTimeoutMs"/> and queued ones whose
    /// run broke. Commits do this too (consensus's update); the admission writer calls it on its clock's tick
    /// (<see cref="AdmissionWriter.ExpiryInterval"/>), so an idle chain expires them.</summary>
    public void ExpireWaiting()
    {
        Changing(PoolOwner.Admission, nameof(ExpireWaiting));
        ExpireDue();
    }

    private void ExpireDue()
    {
        var expired = NowMs - _options.WaitingTimeoutMs;
        List<Transaction> due;
        lock (_lock)
        {
            if (_waitingSince.Count == 0) return;
            due = [.. _waitingSince.Where(w => w.Value < expired).Select(w => _byArrival[_arrivalOf[w.Key]])];
        }

        if (due.Count > 0) RecheckInTurn(due);
    }

    /// <summary>Rechecks <paramref name="txs"/> against committed state and evicts those no longer valid
    /// (e.g. ones a proposal check refused); an orphan found valid becomes ready. Consensus's (a failed proposal).</summary>
    public void Recheck(IReadOnlyList<Transaction> txs)
    {
        Changing(PoolOwner.Consensus, nameof(Recheck));
        RecheckInTurn(txs);
    }

    /// <summary>As <see cref="Recheck"/>, in whichever owner's turn called it (consensus's update, the writer's expiry).</summary>
    private void RecheckInTurn(IReadOnlyList<Transaction> txs)
    {
        var expired = NowMs - _options.WaitingTimeoutMs;
        var relay = new List<Transaction>();
        var dropped = new List<(Transaction Tx, TxResult Why)>();
        var evicted = new List<(Transaction Tx, TxResult Why)>();
        foreach (var tx in txs)
        {
            // One hold of the lock per transaction: its check and what it changes see the same commit.
            lock (_lock)
            {
                if (!_arrivalOf.TryGetValue(tx.Hash, out var arrival)) continue;
                // Still far ahead of the identity's sequence: no need for the full check (the common case for a
                // chain of one identity's transactions submitted together).
                var waiting = _waitingSince.TryGetValue(tx.Hash, out var since);
                if (waiting && since >= expired && tx.Sequence > _ledger.CommittedSequence(tx.Subject) + 1) continue;

                var check = _ledger.CheckTransaction(tx, (ulong)NowMs);
                if (check.IsOk)
                {
                    _waitingSince.Remove(tx.Hash);
                    if (RemoveOrphanLocked(arrival) && _relayWhenAdmissible.Remove(tx.Hash)) relay.Add(tx);
                    continue;
                }

                if (WaitsForPredecessor(tx, check))
                {
                    if (!waiting)
                    {
                        _waitingSince[tx.Hash] = NowMs;
                        continue;
                    }

                    if (since >= expired) continue;
                    if (!IsOrphanLocked(tx) && HasPendingPredecessorLocked(tx))
                    {
                        // Its predecessor did come and is waiting for a block (a backlog, not a gap): wait another period.
                        _waitingSince[tx.Hash] = NowMs;
                        continue;
                    }

                    check = TxResult.Fail(check.Code, $"{check.Message}; waited {_options.WaitingTimeoutMs} ms for its predecessor, which never came");
                }

                var admissible = !IsOrphanLocked(tx);
                if (!RemoveLocked(tx.Hash)) continue;
                if (admissible) DemoteSuccessorsLocked(tx, dropped);
                evicted.Add((tx, check));
            }
        }

        foreach (var (tx, why) in evicted)
        {
            if (why.Code != ErrorCode.Duplicate) _rejections.Add(tx.Hash, why);
            Evicted?.Invoke(tx, why);
        }

        if (relay.Count > 0) Admissible?.Invoke(relay);
        ReportDropped(dropped);
    }

    /// <summary>A transaction whose sequence is ahead of the identity's next one waits for its predecessors,
    /// including the inception of an identity not committed yet (the ledger calls it unknown).</summary>
    private bool WaitsForPredecessor(Transaction tx, TxResult check) => check.Code switch
    {
        ErrorCode.BadSequence => tx.Sequence > _ledger.CommittedSequence(tx.Subject) + 1,
        // The inception may be pending here, or still on its way from another validator's gossip.
        ErrorCode.UnknownIdentity => tx.Sequence > 1,
        _ => false,
    };

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
}
