using Dkms.Core.Encoding;
using Dkms.Ledger.State;
using Dkms.Rpc;

namespace Dkms.Node.Rpc;

public sealed partial class QueryRpc
{
    public const int DefaultValidatorHistoryLimit = 16;

    /// <summary>A change is a few validators and one Merkle path; 64 of them keep an answer within a few hundred kilobytes
    /// even for sets of a hundred validators.</summary>
    public const int MaxValidatorHistoryLimit = 64;

    /// <summary>
    /// <c>chain.validatorHistory</c>: the committed validator-set changes after the client's trusted sequence, oldest first,
    /// each with the proof that the set before it certified it (docs/rpc.md). A client that follows them verifies every
    /// later answer against the set in force at that answer's height. With <c>newest</c>, only the newest change: a client
    /// that skips (the light-client rule) asks for it first.
    /// </summary>
    public ValidatorHistoryResult ValidatorHistory(ValidatorHistoryParams p)
    {
        var limit = p.Limit ?? DefaultValidatorHistoryLimit;
        if (limit is <= 0 or > MaxValidatorHistoryLimit) throw new RpcError(RpcErrorCodes.InvalidParams, $"limit must be 1..{MaxValidatorHistoryLimit}");
        var height = ledger.Height;
        // One more than asked tells whether there are more; the newest alone is the last of all.
        var proven = p.Newest == true
            ? ledger.NewestValidatorChange(p.FromSequence ?? 0, out var complete)
            : ledger.ValidatorChanges(p.FromSequence ?? 0, limit + 1, out complete);
        if (!complete)
        {
            throw new RpcError(RpcErrorCodes.HeightUnavailable,
                "this node's store holds validator-set changes committed before it kept their proofs; its operator rebuilds them with 'dkms-node reindex'");
        }

        var changes = new List<ValidatorChangeView>(Math.Min(limit, proven.Count));
        foreach (var change in proven.Take(limit))
        {
            var state = Codec.Decode<ValidatorSetState>(change.Value!);
            var set = state.Pending ?? throw new RpcError(RpcErrorCodes.InternalError, $"the validator-set record at height {change.Height} has no change");
            changes.Add(new ValidatorChangeView(state.Sequence, state.PendingFromHeight, [.. set.Select(v => new ValidatorView(v.NodeKey.ToHex(), v.Address, v.Power))], ProofView(change)));
        }

        return new ValidatorHistoryResult(height, [.. changes], proven.Count > limit);
    }
}
