using Dkms.Core.Transactions;
using Dkms.Ledger.State;

namespace Dkms.Ledger.Rules;

/// <summary>
/// Decides one transaction against state. Chain id, duplicates and signature validity are checked
/// before this by the executor; here come existence, status, sequence and the type's own rule.
/// Pure: reads state, returns a verdict, changes nothing.
/// </summary>
internal static class RuleEngine
{
    public static Verdict Decide(in RuleContext c)
    {
        var (verdict, subject) = DecideByType(c);
        return verdict.Result.IsOk && SignatureUse.FirstSuperfluous(c, subject) is { } superfluous ? superfluous : verdict;
    }

    /// <summary>The type's verdict, and the subject's state (settled at the block's time) it was judged on.</summary>
    private static (Verdict Verdict, IdentityState? Subject) DecideByType(in RuleContext c)
    {
        var tx = c.Tx;
        if (tx.Body.Payload is InceptionPayload inception) return (IdentityRules.Inception(c, inception), null);
        if (tx.Body.Payload is SetValidatorsPayload validators) return (GovernanceRules.SetValidators(c, validators), null);
        if (tx.Subject == Governance.Subject) return (Verdict.Reject(ErrorCode.InvalidParameters, "the governance subject accepts only SetValidators"), null);

        var stored = c.State.GetIdentity(tx.Subject);
        if (stored is null) return (Verdict.Reject(ErrorCode.UnknownIdentity, $"{tx.Subject} does not exist"), null);
        var s = RecoveryRules.Settle(stored, c.BlockTimeMs);
        if (s.Status == IdentityStatus.Deactivated) return (Verdict.Reject(ErrorCode.Deactivated, $"{tx.Subject} is deactivated"), s);
        if (tx.Sequence != s.Sequence + 1)
        {
            return (Verdict.Reject(ErrorCode.BadSequence, $"sequence must be {s.Sequence + 1}, got {tx.Sequence}"), s);
        }

        if (s.Status == IdentityStatus.Recovering && !RecoveryRules.AllowedWhileRecovering(tx.Type))
        {
            return (Verdict.Reject(ErrorCode.Recovering, $"{tx.Subject} has a recovery in progress; only rotation, cancel, finalize or deactivation are accepted"), s);
        }

        if (RecoveryRules.NeedsRecovery(tx.Type) && s.Status != IdentityStatus.Recovering)
        {
            return (Verdict.Reject(ErrorCode.NotRecovering, $"{tx.Subject} has no recovery in progress"), s);
        }

        var verdict = tx.Body.Payload switch
        {
            RotationPayload p => IdentityRules.Rotation(c, s, p),
            DeactivatePayload => IdentityRules.Deactivate(c, s),
            AddKeyAgreementKeyPayload p => KeyRules.Add(c, s, p),
            RevokeKeyPayload p => KeyRules.Revoke(c, s, p),
            SetRecoveryPolicyPayload p => RecoveryRules.SetPolicy(c, s, p),
            RecoveryStartPayload p => RecoveryRules.Start(c, s, p),
            RecoveryCancelPayload => RecoveryRules.Cancel(c, s),
            RecoveryFinalizePayload => RecoveryRules.Finalize(c, s),
            SetAgentPolicyPayload p => AgentPolicyRules.Set(c, s, p),
            _ => Verdict.Reject(ErrorCode.Malformed, $"unsupported transaction type {tx.Type}"),
        };
        return (verdict, s);
    }
}
