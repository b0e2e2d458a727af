using Dkms.Core.Transactions;
using Dkms.Ledger;

namespace Dkms.Node.Mempool.Admission;

/// <summary>Every rule of the ledger against committed state, as if the transaction came next (time-dependent rules
/// at the node's clock, as the next block will judge them). A transaction already committed is found here.</summary>
internal sealed class RulesFilter(DkmsLedger ledger, Func<ulong> nowMs) : IAdmissionFilter
{
    public string Name => "rules";

    public FilterVerdict Judge(Candidate candidate, IPendingView pool)
    {
        var check = candidate.Check ?? ledger.CheckTransaction(candidate.Tx, nowMs());
        if (check.IsOk) return FilterVerdict.Keep(Standing.Ready);
        return FilterVerdict.Stop(check.Code == ErrorCode.Duplicate ? AdmitOutcome.AlreadyCommitted : AdmitOutcome.Rejected(check));
    }
}
