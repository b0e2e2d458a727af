using Dkms.Core.Genesis;
using Dkms.Core.Transactions;
using Dkms.Ledger.State;

namespace Dkms.Ledger.Rules;

/// <summary>What a rule sees: the transaction (signatures already verified), state, the block's height and time, and the chain's parameters.</summary>
internal readonly record struct RuleContext(Transaction Tx, IStateReader State, ulong Height, ulong BlockTimeMs, LedgerParameters Parameters);

/// <summary>
/// What an accepted transaction changes. <see cref="Subject"/> is the subject's new state before the
/// executor stamps sequence, event digest and height on it.
/// </summary>
internal sealed record Effects(IdentityState? Subject, AgentPolicy? Policy = null, IReadOnlyList<RetiredKeyRecord>? RetiredKeys = null, ValidatorSetState? Validators = null);

/// <summary>A rule's verdict: either effects to apply or a rejection.</summary>
internal readonly record struct Verdict(TxResult Result, Effects? Effects)
{
    public static Verdict Accept(Effects effects) => new(TxResult.Success, effects);

    public static Verdict Reject(ErrorCode code, string message) => new(TxResult.Fail(code, message), null);

    public static implicit operator Verdict(TxResult failure) => new(failure, null);
}
