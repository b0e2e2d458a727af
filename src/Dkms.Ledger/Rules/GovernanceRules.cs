using Dkms.Core.Transactions;
using Dkms.Ledger.State;

namespace Dkms.Ledger.Rules;

/// <summary>
/// SetValidators (SPEC §3): signed by validators of the set in force holding more than 2/3 of its
/// voting power; the new set is in force from the block's height + <see cref="Governance.ActivationDelay"/>,
/// so every validator knows the set of the next height before it starts it.
/// </summary>
internal static class GovernanceRules
{
    /// <summary>Largest total voting power; keeps 3 × power far from overflow.</summary>
    public const long MaxTotalPower = 1L << 50;

    public static Verdict SetValidators(in RuleContext c, SetValidatorsPayload p)
    {
        var tx = c.Tx;
        if (tx.Subject != Governance.Subject) return Validate.Invalid("a validator-set change names the governance subject");
        var state = c.State.GetValidators();
        if (state is null) return Verdict.Reject(ErrorCode.NotAuthorized, "this ledger has no validator set (no genesis)");
        if (tx.Sequence != state.Sequence + 1) return Verdict.Reject(ErrorCode.BadSequence, $"sequence must be {state.Sequence + 1}, got {tx.Sequence}");
        if (state.Pending is not null && c.Height < state.PendingFromHeight)
        {
            return Validate.Invalid($"a validator-set change is already waiting for height {state.PendingFromHeight}");
        }

        var r = Check(p.Validators);
        if (!r.IsOk) return r;

        var current = state.At(c.Height);
        var total = current.Sum(v => v.Power);
        var signed = Signers.OwnBehalfKeys(tx);
        var power = current.Where(v => signed.Contains(v.NodeKey)).Sum(v => v.Power);
        if (power * 3 <= total * 2)
        {
            return Verdict.Reject(ErrorCode.ThresholdNotMet, $"needs validators with more than 2/3 of voting power {total}; signers hold {power}");
        }

        var next = new ValidatorSetState(current, p.Validators, c.Height + Governance.ActivationDelay, tx.Sequence);
        return Verdict.Accept(new Effects(null, Validators: next));
    }

    public static TxResult Check(ValidatorEntry[] validators)
    {
        if (validators.Length == 0) return Validate.Invalid("a validator set needs at least one validator");
        if (validators.Select(v => v.NodeKey).Distinct().Count() != validators.Length) return Validate.Invalid("validator keys must be distinct");
        if (validators.Any(v => v.Power <= 0 || v.Power > MaxTotalPower)) return Validate.Invalid("voting power must be positive");
        if (validators.Any(v => string.IsNullOrWhiteSpace(v.Address))) return Validate.Invalid("every validator needs a peer address");
        return validators.Sum(v => v.Power) > MaxTotalPower ? Validate.Invalid("total voting power too large") : TxResult.Success;
    }
}
