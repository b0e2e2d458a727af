using Dkms.Core.Transactions;
using Dkms.Ledger;

namespace Dkms.Node.Mempool.Admission;

/// <summary>
/// A transaction ahead of its identity's next sequence (or of an identity not committed yet) waits for its
/// predecessors: <em>queued</em> when every transaction between is pending and admissible and the ledger accepts it
/// behind them, an <em>orphan</em> when one is missing, refused when it is too far ahead or the ledger refuses it behind
/// its predecessors. One next in line passes on to the rules.
/// </summary>
internal sealed class WaitingFilter(DkmsLedger ledger, MempoolOptions options, Func<ulong> nowMs) : IAdmissionFilter
{
    public string Name => "waiting";

    public FilterVerdict Judge(Candidate candidate, IPendingView pool)
    {
        var tx = candidate.Tx;
        var next = ledger.CommittedSequence(tx.Subject) + 1;
        if (tx.Sequence <= next) return FilterVerdict.Pass;
        var check = ledger.CheckTransaction(tx, nowMs());
        if (check.IsOk) return FilterVerdict.Keep(Standing.Ready);
        if (check.Code is not (ErrorCode.BadSequence or ErrorCode.UnknownIdentity))
        {
            // Refused for something else (its chain, a rule): the rules filter says so.
            candidate.Check = check;
            return FilterVerdict.Pass;
        }

        var ahead = tx.Sequence - next;
        if (ahead > (ulong)options.MaxSequenceAhead)
        {
            return FilterVerdict.Refuse(TxResult.Fail(ErrorCode.LimitExceeded,
                $"sequence {tx.Sequence} is {ahead} past the next of {tx.Subject} ({next}); the mempool keeps transactions at most {options.MaxSequenceAhead} ahead: submit the ones before it first"));
        }

        var run = pool.AdmissibleRun(tx.Subject, next, tx.Sequence);
        if (run is null) return FilterVerdict.Keep(Standing.Orphan);
        var results = ledger.CheckInOrder([.. run, tx], nowMs());
        if (results.Take(run.Length).Any(r => !r.IsOk)) return FilterVerdict.Keep(Standing.Orphan);
        var verdict = results[^1];
        if (verdict.IsOk) return FilterVerdict.Keep(Standing.Queued);
        if (verdict.Code is ErrorCode.BadSequence or ErrorCode.UnknownIdentity) return FilterVerdict.Keep(Standing.Orphan);
        return FilterVerdict.Refuse(verdict with { Message = $"{verdict.Message} (behind its pending predecessors, sequences {next}..{tx.Sequence - 1})" });
    }
}
