using Dkms.Core.Primitives;
using Dkms.Core.Transactions;

namespace Dkms.Node.Mempool.Admission;

/// <summary>How an admitted transaction stands against committed state and the pending transactions.</summary>
internal enum Standing
{
    /// <summary>Accepted against committed state: can go into the next block.</summary>
    Ready,
    /// <summary>Accepted behind the pending transactions before it.</summary>
    Queued,
    /// <summary>Its predecessor is neither committed nor admissible here.</summary>
    Orphan,
}

internal enum VerdictKind
{
    /// <summary>Nothing against it here: the next filter decides.</summary>
    Pass,
    /// <summary>Admitted, with its standing (the pool still has to make room for it).</summary>
    Keep,
    /// <summary>Not admitted: the outcome says why (a refusal, a full pool, or already pending or committed).</summary>
    Stop,
}

/// <summary>What one filter made of one transaction.</summary>
internal readonly record struct FilterVerdict(VerdictKind Kind, Standing Standing, AdmitOutcome Outcome)
{
    public static readonly FilterVerdict Pass = new(VerdictKind.Pass, Standing.Ready, AdmitOutcome.Admitted);

    public static FilterVerdict Keep(Standing standing) => new(VerdictKind.Keep, standing, AdmitOutcome.Admitted);

    public static FilterVerdict Stop(AdmitOutcome outcome) => new(VerdictKind.Stop, Standing.Ready, outcome);

    public static FilterVerdict Refuse(TxResult why) => Stop(AdmitOutcome.Rejected(why));
}

/// <summary>One transaction on its way through the filters. A filter that already asked the ledger leaves its answer
/// here, so a later one does not ask again.</summary>
internal sealed class Candidate(Transaction tx)
{
    public Transaction Tx { get; } = tx;

    /// <summary>The ledger's full check against committed state, once a filter made it.</summary>
    public TxResult? Check { get; set; }
}

/// <summary>The pool as the filters see it: read under the pool's lock, so what they see cannot change before the
/// transaction they judge is inserted.</summary>
internal interface IPendingView
{
    bool IsPending(Hash32 hash);

    /// <summary>The admissible pending transaction holding <paramref name="tx"/>'s subject and sequence, if any.</summary>
    Transaction? SlotHolder(Transaction tx);

    /// <summary>True, with the answer for the submitter, when even dropping every orphan would leave no room for
    /// <paramref name="size"/> more bytes of admissible transactions.</summary>
    bool IsFullFor(int size, out AdmitOutcome full);

    /// <summary>One admissible pending transaction for each sequence from <paramref name="next"/> to just before
    /// <paramref name="sequence"/>, or null when one is missing.</summary>
    Transaction[]? AdmissibleRun(IdentityId subject, ulong next, ulong sequence);
}

/// <summary>One step of admission. A filter judges one transaction and either passes it on, keeps it or stops it;
/// <see cref="AdmissionPipeline"/> lists them in order.</summary>
internal interface IAdmissionFilter
{
    /// <summary>Its label in <c>dkms_admission_rejected_total{filter=...}</c>.</summary>
    string Name { get; }

    FilterVerdict Judge(Candidate candidate, IPendingView pool);
}
