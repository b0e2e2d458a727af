using Dkms.Core.Transactions;
using Dkms.Ledger;

namespace Dkms.Node.Mempool.Admission;

/// <summary>
/// The admission filters, in the order a transaction meets them — the one place that composes them:
/// <list type="number">
/// <item><b>screening</b>, for a whole batch under one hold of the pool's lock, memory reads only:
/// shape → duplicate → capacity;</item>
/// <item>the <b>signature</b> filter is made for what passed: their signatures are verified together, on all cores,
/// outside the lock;</item>
/// <item><b>judging</b>, one transaction at a time, each under one hold of the pool's lock together with its insertion:
/// duplicate (again: an earlier transaction of the batch may be this one or hold its slot) → signature → waiting →
/// rules.</item>
/// </list>
/// Judging and inserting under the lock, against the committed state the pool was last updated to (consensus commits
/// the ledger and updates the pool under the same lock), is what keeps admission consistent with commits.
/// </summary>
internal sealed class AdmissionPipeline(DkmsLedger ledger, MempoolOptions options, Func<ulong> nowMs)
{
    /// <summary>Every filter's name, for metrics series that exist before the first refusal.</summary>
    public static readonly string[] FilterNames = ["shape", "duplicate", "capacity", "signature", "waiting", "rules"];

    private readonly DuplicateFilter _duplicate = new();
    private readonly WaitingFilter _waiting = new(ledger, options, nowMs);
    private readonly RulesFilter _rules = new(ledger, nowMs);

    public IAdmissionFilter[] Screening { get; } = [new ShapeFilter(ledger.ChainId), new DuplicateFilter(), new CapacityFilter()];

    /// <summary>The filters that judge <paramref name="batch"/> (what passed screening); making them verifies its signatures.</summary>
    public IAdmissionFilter[] Judging(IReadOnlyList<Transaction> batch) => [_duplicate, new SignatureFilter(ledger, batch), _waiting, _rules];

    /// <summary>Runs <paramref name="filters"/> in order until one keeps or stops the transaction; with the name of that one.</summary>
    public static (FilterVerdict Verdict, string Filter) Run(IAdmissionFilter[] filters, Candidate candidate, IPendingView pool)
    {
        foreach (var filter in filters)
        {
            var verdict = filter.Judge(candidate, pool);
            if (verdict.Kind != VerdictKind.Pass) return (verdict, filter.Name);
        }

        return (FilterVerdict.Pass, "");
    }
}
