using Dkms.Core.Transactions;

namespace Dkms.Node.Mempool.Admission;

/// <summary>
/// Already pending (the same transaction: not an error for the client), or its slot (subject and sequence) held by
/// another admissible pending transaction. Only one transaction can commit at a slot, so the pool keeps one admissible
/// transaction per slot: otherwise one identity's conflicting transactions, each valid alone, could fill the pool.
/// Transactions already committed are the rules filter's to find (the ledger's check names them without a store read
/// for every transaction).
/// </summary>
internal sealed class DuplicateFilter : IAdmissionFilter
{
    public string Name => "duplicate";

    public FilterVerdict Judge(Candidate candidate, IPendingView pool)
    {
        var tx = candidate.Tx;
        if (pool.IsPending(tx.Hash)) return FilterVerdict.Stop(AdmitOutcome.AlreadyPending);
        if (pool.SlotHolder(tx) is not { } holder) return FilterVerdict.Pass;
        return FilterVerdict.Refuse(TxResult.Fail(ErrorCode.BadSequence,
            $"sequence {tx.Sequence} of {tx.Subject} is taken by pending transaction {holder.Hash}; only one can commit: submit the next sequence once it has"));
    }
}
