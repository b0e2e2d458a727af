using Dkms.Core.Transactions;

namespace Dkms.Node.Mempool.Admission;

/// <summary>What needs no state: the size bound and the chain the transaction was signed for (the same refusals, with
/// the same messages, as the ledger's check, made before any lookup or verification).</summary>
internal sealed class ShapeFilter(string chainId) : IAdmissionFilter
{
    public string Name => "shape";

    public FilterVerdict Judge(Candidate candidate, IPendingView pool)
    {
        var tx = candidate.Tx;
        if (tx.Encoded.Length > Limits.MaxTransactionBytes)
        {
            return FilterVerdict.Refuse(TxResult.Fail(ErrorCode.Malformed, $"transaction size {tx.Encoded.Length} bytes is outside 1..{Limits.MaxTransactionBytes}"));
        }

        if (tx.Body.ChainId != chainId)
        {
            return FilterVerdict.Refuse(TxResult.Fail(ErrorCode.WrongChain, $"transaction is for chain '{tx.Body.ChainId}', this is '{chainId}'"));
        }

        return FilterVerdict.Pass;
    }
}
