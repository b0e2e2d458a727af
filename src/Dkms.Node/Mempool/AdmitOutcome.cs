using Dkms.Core.Transactions;

namespace Dkms.Node.Mempool;

public enum AdmitStatus
{
    /// <summary>Checked against committed state and kept.</summary>
    Admitted,
    /// <summary>Already pending (not an error for the client: the transaction is on its way).</summary>
    AlreadyPending,
    /// <summary>Already in a committed block.</summary>
    AlreadyCommitted,
    Rejected,
    Full,
}

/// <summary>What admission made of one transaction; <see cref="Result"/> carries the ledger's code and message when rejected.</summary>
public readonly record struct AdmitOutcome(AdmitStatus Status, TxResult Result)
{
    public static readonly AdmitOutcome Admitted = new(AdmitStatus.Admitted, TxResult.Success);
    public static readonly AdmitOutcome AlreadyPending = new(AdmitStatus.AlreadyPending, TxResult.Success);
    public static readonly AdmitOutcome AlreadyCommitted = new(AdmitStatus.AlreadyCommitted, TxResult.Success);

    public static AdmitOutcome Full(string message) => new(AdmitStatus.Full, TxResult.Fail(ErrorCode.LimitExceeded, message));

    public static AdmitOutcome Rejected(TxResult result) => new(AdmitStatus.Rejected, result);

    public bool IsAccepted => Status is AdmitStatus.Admitted or AdmitStatus.AlreadyPending or AdmitStatus.AlreadyCommitted;
}
