using Dkms.Core.Transactions;
using Dkms.Ledger.State;

namespace Dkms.Ledger.Rules;

/// <summary>
/// Social recovery on the ledger (SPEC §3): policy, trustee-started recovery, cancel, finalize. The rule that
/// holds it together (docs/security.md): with the current keys alone, nobody gets new signing keys onto an
/// identity before the delay of the policy the owner had set has passed — a policy change signed by the current
/// keys waits that long before it governs recovery, and a recovery waits its own delay again — while the owner's
/// pre-rotated next keys can veto at any moment of it.
/// </summary>
internal static class RecoveryRules
{
    /// <summary>
    /// The identity as the rules see it at block time <paramref name="blockTimeMs"/>: a pending policy change whose
    /// time has come (block time strictly after its <see cref="PendingPolicyChange.EffectiveAfterMs"/>) is the
    /// policy. Applied to the subject before every rule, so what an accepted transaction stores is settled too.
    /// </summary>
    public static IdentityState Settle(IdentityState s, ulong blockTimeMs) =>
        s.PendingRecoveryPolicy is { } change && blockTimeMs > change.EffectiveAfterMs
            ? s with { Recovery = change.Policy, PendingRecoveryPolicy = null }
            : s;

    public static Verdict SetPolicy(in RuleContext c, IdentityState s, SetRecoveryPolicyPayload p)
    {
        // The next keys are the owner's own authority (they also rotate and cancel): their change is immediate. Which
        // authority is meant is in the body, so the same signed body can never take effect in the other way.
        if (p.Immediate)
        {
            if (!s.CanRotate) return Verdict.Reject(ErrorCode.CannotRotate, $"{s.Id} committed to no next keys: an immediate policy change is signed by them");
            if (!Signers.MeetsNextThreshold(c.Tx, s))
            {
                return Verdict.Reject(ErrorCode.ThresholdNotMet, $"an immediate policy change needs {s.Keys.NextThreshold} of the pre-rotated next keys");
            }
        }
        else if (!Signers.MeetsCurrentThreshold(c.Tx, s))
        {
            return Verdict.Reject(ErrorCode.ThresholdNotMet,
                $"needs {s.Keys.Threshold} of the current signing keys (the change then waits out the present policy's delay); an immediate change is signed by the next keys");
        }

        var r = Validate.RecoveryPolicy(p.Policy, s.Id, c.State, c.Parameters);
        if (!r.IsOk) return r;
        if (p.Immediate) return Verdict.Accept(new Effects(s with { Recovery = p.Policy, PendingRecoveryPolicy = null }));

        // The current keys may be a thief's: the change governs recovery only after the delay of the policy it
        // replaces (the chain's minimum when there was none), during which the owner's next keys can drop it.
        var waitSeconds = Math.Max(s.Recovery?.DelaySeconds ?? 0, c.Parameters.MinRecoveryDelaySeconds);
        var change = new PendingPolicyChange(p.Policy, c.BlockTimeMs, checked(c.BlockTimeMs + (waitSeconds * 1000)));
        return Verdict.Accept(new Effects(s with { PendingRecoveryPolicy = change }));
    }

    public static Verdict Start(in RuleContext c, IdentityState s, RecoveryStartPayload p)
    {
        // Always the policy in effect at this block: a pending change has not yet earned the right to start one.
        var policy = s.Recovery;
        if (policy is null) return Verdict.Reject(ErrorCode.NoRecoveryPolicy, $"{s.Id} has no recovery policy in effect");
        var r = Validate.KeyConfig(p.Proposed);
        if (!r.IsOk) return r;

        var approvedBy = Signers.ApprovingTrustees(c.Tx, policy, c.State);
        if (approvedBy.Length < policy.Threshold)
        {
            return Verdict.Reject(ErrorCode.ThresholdNotMet,
                $"recovery needs {policy.Threshold} trustees each signing with its own keys, {approvedBy.Length} did");
        }

        var delaySeconds = Math.Max(policy.DelaySeconds, c.Parameters.MinRecoveryDelaySeconds);
        var finalizeAfter = checked(c.BlockTimeMs + (delaySeconds * 1000));
        var pending = new PendingRecovery(p.Proposed, c.BlockTimeMs, finalizeAfter, approvedBy, c.Height);
        // A pending policy change is dropped: whoever signed it with the current keys may be the thief this
        // recovery is meant to lock out, and its trustees must not be able to cancel the recovery once it matures.
        return Verdict.Accept(new Effects(s with { Status = IdentityStatus.Recovering, PendingRecovery = pending, PendingRecoveryPolicy = null }));
    }

    public static Verdict Cancel(in RuleContext c, IdentityState s)
    {
        // Never the current keys alone: a thief may hold them and want the recovery to fail.
        var byNextKeys = Signers.MeetsNextThreshold(c.Tx, s);
        var byTrustees = s.Recovery is not null && Signers.ApprovingTrustees(c.Tx, s.Recovery, c.State).Length >= s.Recovery.Threshold;
        if (!byNextKeys && !byTrustees)
        {
            return Verdict.Reject(ErrorCode.NotAuthorized, "a recovery is cancelled by the pre-rotated next keys or by the trustee threshold, not by the current keys");
        }

        return Verdict.Accept(new Effects(s with { Status = IdentityStatus.Active, PendingRecovery = null }));
    }

    public static Verdict Finalize(in RuleContext c, IdentityState s)
    {
        var pending = s.PendingRecovery!;
        if (c.Height == pending.StartedAtHeight || c.BlockTimeMs <= pending.FinalizeAfterMs)
        {
            var left = TimeSpan.FromMilliseconds(pending.FinalizeAfterMs - Math.Min(c.BlockTimeMs, pending.FinalizeAfterMs));
            return Verdict.Reject(ErrorCode.RecoveryDelayNotElapsed,
                $"the recovery delay has not passed: a block whose time is after {pending.FinalizeAfterMs} (unix ms) may finalize it, {left:g} of block time left");
        }

        var next = s with { Keys = pending.Proposed, Status = IdentityStatus.Active, PendingRecovery = null, PendingRecoveryPolicy = null };
        return Verdict.Accept(new Effects(next, RetiredKeys: IdentityRules.Retire(s, pending.Proposed, c)));
    }

    /// <summary>Whether <paramref name="type"/> may act on an identity with a recovery in progress.</summary>
    public static bool AllowedWhileRecovering(TxType type) =>
        type is TxType.Rotation or TxType.RecoveryCancel or TxType.RecoveryFinalize or TxType.Deactivate;

    public static bool NeedsRecovery(TxType type) => type is TxType.RecoveryCancel or TxType.RecoveryFinalize;
}
