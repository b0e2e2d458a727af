using Dkms.Core.Primitives;
using Dkms.Core.Transactions;
using Dkms.Ledger;
using Dkms.Ledger.Execution;

namespace Dkms.Node.Mempool.Admission;

/// <summary>
/// Signatures of a whole batch, verified together on all cores when the filter is made (outside the pool's lock),
/// into the ledger's signature cache, so neither the per-transaction checks nor the block verify them again. Only
/// what is next in line is verified ahead (one form per slot): a transaction for an identity nobody created or out of
/// turn costs no verification here; the rules filter judges it if it ever gets that far.
/// </summary>
internal sealed class SignatureFilter : IAdmissionFilter
{
    private readonly SignatureCache _cache;
    private readonly HashSet<Hash32> _verifiedAhead;

    public SignatureFilter(DkmsLedger ledger, IReadOnlyList<Transaction> batch)
    {
        _cache = ledger.Signatures;
        var inLine = ledger.InLine(batch);
        var firstAtSlot = new HashSet<(IdentityId, ulong)>();
        Transaction[] ahead = [.. batch.Where((t, k) => inLine[k] && firstAtSlot.Add((t.Subject, t.Sequence)))];
        SignatureVerifier.Prefetch(ahead, _cache);
        _verifiedAhead = [.. ahead.Select(t => t.EnvelopeHash)];
    }

    public string Name => "signature";

    public FilterVerdict Judge(Candidate candidate, IPendingView pool)
    {
        if (!_verifiedAhead.Contains(candidate.Tx.EnvelopeHash)) return FilterVerdict.Pass;
        // A valid form is in the cache by now (no work); a bad one is verified again only to name the failing signature.
        var result = SignatureVerifier.Verify(candidate.Tx, _cache);
        return result.IsOk ? FilterVerdict.Pass : FilterVerdict.Refuse(result);
    }
}
