namespace Dkms.Node.Mempool.Admission;

/// <summary>A pool full of admissible transactions refuses before any signature is verified ("mempool full", to be
/// retried). Orphans give way to admissible transactions, so they do not count here.</summary>
internal sealed class CapacityFilter : IAdmissionFilter
{
    public string Name => "capacity";

    public FilterVerdict Judge(Candidate candidate, IPendingView pool) =>
        pool.IsFullFor(candidate.Tx.Encoded.Length, out var full) ? FilterVerdict.Stop(full) : FilterVerdict.Pass;
}
