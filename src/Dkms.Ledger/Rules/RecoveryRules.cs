using Dkms.Core.Transactions;
using Dkms.Ledger.State;

namespace Dkms.Ledger.Rules;

/// <summary>Social recovery on the ledger (SPEC §3): policy, trustee-started recovery, cancel, finalize.</summary>
internal static class RecoveryRules
{
    public static Verdict SetPolicy(in RuleContext c, IdentityState s, SetRecoveryPolicyPayload p)
    {
        if (!Signers.MeetsCurrentThreshold(c.Tx, s)) return KeyRules.CurrentThresholdNotMet(s);
        var r = Validate.RecoveryPolicy(p.Policy, s.Id, c.State);
        if (!r.IsOk) return r;
        return Verdict.Accept(new Effects(s with { Recovery = p.Policy }));
    }

    public static Verdict Start(in RuleContext c, IdentityState s, RecoveryStartPayload p)
    {
        if (s.Recovery is null) return Verdict.Reject(ErrorCode.NoRecoveryPolicy, $"{s.Id} has no recovery policy");
        var r = Validate.KeyConfig(p.Proposed);
        if (!r.IsOk) return r;

        var approvedBy = Signers.ApprovingTrustees(c.Tx, s.Recovery, c.State);
        if (approvedBy.Length < s.Recovery.Threshold)
        {
            return Verdict.Reject(ErrorCode.ThresholdNotMet,
                $"recovery needs {s.Recovery.Threshold} trustees each signing with its own keys, {approvedBy.Length} did");
        }

        var finalizeAfter = checked(c.BlockTimeMs + s.Recovery.DelaySeconds * 1000);
        var pending = new PendingRecovery(p.Proposed, c.BlockTimeMs, finalizeAfter, approvedBy);
        return Verdict.Accept(new Effects(s with { Status = IdentityStatus.Recovering, PendingRecovery = pending }));
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
        if (c.BlockTimeMs < pending.FinalizeAfterMs)
        {
            var left = TimeSpan.FromMilliseconds(pending.FinalizeAfterMs - c.BlockTimeMs);
            return Verdict.Reject(ErrorCode.RecoveryDelayNotElapsed, $"the recovery delay has not passed: {left:g} of block time left");
        }

        var next = s with { Keys = pending.Proposed, Status = IdentityStatus.Active, PendingRecovery = null };
        return Verdict.Accept(new Effects(next, RetiredKeys: IdentityRules.Retire(s, pending.Proposed, c)));
    }

    /// <summary>Whether <paramref name="type"/> may act on an identity with a recovery in progress.</summary>
    public static bool AllowedWhileRecovering(TxType type) =>
        type is TxType.Rotation or TxType.RecoveryCancel or TxType.RecoveryFinalize or TxType.Deactivate;

    public static bool NeedsRecovery(TxType type) => type is TxType.RecoveryCancel or TxType.RecoveryFinalize;
}
