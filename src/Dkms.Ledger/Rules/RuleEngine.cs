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
        var tx = c.Tx;
        if (tx.Body.Payload is InceptionPayload inception) return IdentityRules.Inception(c, inception);
        if (tx.Body.Payload is SetValidatorsPayload validators) return GovernanceRules.SetValidators(c, validators);
        if (tx.Subject == Governance.Subject) return Verdict.Reject(ErrorCode.InvalidParameters, "the governance subject accepts only SetValidators");

        var s = c.State.GetIdentity(tx.Subject);
        if (s is null) return Verdict.Reject(ErrorCode.UnknownIdentity, $"{tx.Subject} does not exist");
        if (s.Status == IdentityStatus.Deactivated) return Verdict.Reject(ErrorCode.Deactivated, $"{tx.Subject} is deactivated");
        if (tx.Sequence != s.Sequence + 1)
        {
            return Verdict.Reject(ErrorCode.BadSequence, $"sequence must be {s.Sequence + 1}, got {tx.Sequence}");
        }

        if (s.Status == IdentityStatus.Recovering && !RecoveryRules.AllowedWhileRecovering(tx.Type))
        {
            return Verdict.Reject(ErrorCode.Recovering, $"{tx.Subject} has a recovery in progress; only rotation, cancel, finalize or deactivation are accepted");
        }

        if (RecoveryRules.NeedsRecovery(tx.Type) && s.Status != IdentityStatus.Recovering)
        {
            return Verdict.Reject(ErrorCode.NotRecovering, $"{tx.Subject} has no recovery in progress");
        }

        return tx.Body.Payload switch
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
    }
}
