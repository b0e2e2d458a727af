using Dkms.Core.Transactions;
using Dkms.Ledger.State;

namespace Dkms.Ledger.Rules;

/// <summary>
/// Decides one transaction against state, in two steps the executor runs around the signature check:
/// <see cref="Precheck"/> (existence, sequence — no signature needed) before it, <see cref="Decide"/> (status and the
/// type's own rule, then that every signature counts) after it. Pure: reads state, returns a verdict, changes nothing.
/// </summary>
internal static class RuleEngine
{
    /// <summary>
    /// The checks that need state but no signature: the subject exists (or, for an inception, does not), is not
    /// deactivated, and the sequence is its next one. Run before any signature is verified, so a transaction for an
    /// identity nobody created, or out of turn, costs no verification however many signatures it carries. On
    /// success, the subject's state settled at the block's time (null for an inception or governance).
    /// </summary>
    public static (TxResult Result, IdentityState? Subject) Precheck(in RuleContext c)
    {
        var tx = c.Tx;
        switch (tx.Body.Payload)
        {
            case InceptionPayload:
                if (c.State.GetIdentity(tx.Subject) is not null) return (TxResult.Fail(ErrorCode.AlreadyExists, $"{tx.Subject} already exists"), null);
                return (tx.Sequence == 1 ? TxResult.Success : TxResult.Fail(ErrorCode.BadSequence, $"an inception has sequence 1, got {tx.Sequence}"), null);
            case SetValidatorsPayload:
                var validators = c.State.GetValidators();
                if (validators is null || tx.Subject != Governance.Subject) return (TxResult.Success, null); // the rule says why
                return (tx.Sequence == validators.Sequence + 1
                    ? TxResult.Success
                    : TxResult.Fail(ErrorCode.BadSequence, $"sequence must be {validators.Sequence + 1}, got {tx.Sequence}"), null);
        }

        if (tx.Subject == Governance.Subject) return (TxResult.Fail(ErrorCode.InvalidParameters, "the governance subject accepts only SetValidators"), null);
        var stored = c.State.GetIdentity(tx.Subject);
        if (stored is null) return (TxResult.Fail(ErrorCode.UnknownIdentity, $"{tx.Subject} does not exist"), null);
        var s = RecoveryRules.Settle(stored, c.BlockTimeMs);
        if (s.Status == IdentityStatus.Deactivated) return (TxResult.Fail(ErrorCode.Deactivated, $"{tx.Subject} is deactivated"), s);
        return tx.Sequence == s.Sequence + 1
            ? (TxResult.Success, s)
            : (TxResult.Fail(ErrorCode.BadSequence, $"sequence must be {s.Sequence + 1}, got {tx.Sequence}"), s);
    }

    /// <summary>The verdict on a transaction that passed <see cref="Precheck"/> (with its <paramref name="subject"/>) and
    /// whose signatures verified.</summary>
    public static Verdict Decide(in RuleContext c, IdentityState? subject)
    {
        var verdict = DecideByType(c, subject);
        return verdict.Result.IsOk && SignatureUse.FirstSuperfluous(c, subject) is { } superfluous ? superfluous : verdict;
    }

    private static Verdict DecideByType(in RuleContext c, IdentityState? s)
    {
        var tx = c.Tx;
        if (tx.Body.Payload is InceptionPayload inception) return IdentityRules.Inception(c, inception);
        if (tx.Body.Payload is SetValidatorsPayload validators) return GovernanceRules.SetValidators(c, validators);

        if (s!.Status == IdentityStatus.Recovering && !RecoveryRules.AllowedWhileRecovering(tx.Type))
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
