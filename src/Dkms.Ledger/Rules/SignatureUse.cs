using Dkms.Core.Primitives;
using Dkms.Core.Transactions;
using Dkms.Ledger.State;

namespace Dkms.Ledger.Rules;

/// <summary>
/// The last check of an accepted transaction: every signature it carries is one its authorization could count —
/// a key of the kind the type's rule counts (the subject's current or revealed next keys, an agent of the policy,
/// a trustee's own key, a validator's node key). A relayer cannot pad a transaction with signatures that do
/// nothing but cost every validator a verification, and the one signed form of a body stays the one the author
/// made (docs/ledger.md, "One form per signed body").
/// </summary>
internal static class SignatureUse
{
    /// <summary>Null when every signature counts; otherwise a <c>Malformed</c> rejection naming the first that does not.
    /// <paramref name="subject"/> is the subject's state before the transaction (null for an inception or governance).</summary>
    public static Verdict? FirstSuperfluous(in RuleContext c, IdentityState? subject)
    {
        var counts = Counter(c, subject);
        var sigs = c.Tx.Signatures;
        for (var i = 0; i < sigs.Count; i++)
        {
            if (counts(sigs[i])) continue;
            var who = sigs[i].Signer is { } signer ? $" for {signer}" : "";
            return Verdict.Reject(ErrorCode.Malformed,
                $"signature {i} (key {sigs[i].Key}{who}) does not count towards authorizing this {c.Tx.Type}: a transaction carries only signatures its authorization can use");
        }

        return null;
    }

    private static Func<TxSignature, bool> Counter(RuleContext c, IdentityState? s)
    {
        switch (c.Tx.Body.Payload)
        {
            case InceptionPayload p:
                return sig => sig.Signer is null && Array.IndexOf(p.Keys.SigningKeys, sig.Key) >= 0;
            case RotationPayload p:
                return sig => sig.Signer is null && Array.IndexOf(p.Keys.SigningKeys, sig.Key) >= 0;
            case SetValidatorsPayload:
                var validators = c.State.GetValidators()?.At(c.Height) ?? [];
                return sig => sig.Signer is null && Array.Exists(validators, v => v.NodeKey == sig.Key);
            case RecoveryFinalizePayload:
                return _ => true; // anyone may finalize; the shape allows exactly one signature
        }

        var subject = s!;
        var state = c.State;
        switch (c.Tx.Body.Payload)
        {
            case AddKeyAgreementKeyPayload or RevokeKeyPayload:
                return sig => sig.Signer is null && subject.HasSigningKey(sig.Key);
            case SetRecoveryPolicyPayload { Immediate: true }:
                return sig => sig.Signer is null && IsNextKey(subject, sig.Key);
            case SetRecoveryPolicyPayload:
                return sig => sig.Signer is null && subject.HasSigningKey(sig.Key);
            case RecoveryStartPayload:
                return sig => sig.Signer is { } t && IsTrusteeKey(state, subject.Recovery, t, sig.Key);
            case RecoveryCancelPayload:
                return sig => sig.Signer is { } t ? IsTrusteeKey(state, subject.Recovery, t, sig.Key) : IsNextKey(subject, sig.Key);
            case DeactivatePayload when subject.CanRotate:
                return sig => sig.Signer is null && IsNextKey(subject, sig.Key);
            case DeactivatePayload when subject.Recovery is not null:
                return sig => sig.Signer is { } t && IsTrusteeKey(state, subject.Recovery, t, sig.Key);
            case DeactivatePayload:
                return sig => sig.Signer is null && subject.HasSigningKey(sig.Key);
            case SetAgentPolicyPayload p:
                var policy = state.GetPolicy(subject.Id, p.PolicyId);
                return sig => sig.Signer is null && (subject.HasSigningKey(sig.Key) || (policy is not null && policy.RightsOf(sig.Key) != AgentRights.None));
            default:
                return _ => false;
        }
    }

    private static bool IsNextKey(IdentityState s, PublicKey key) => s.CanRotate && Array.IndexOf(s.Keys.NextKeyDigests, key.Digest()) >= 0;

    private static bool IsTrusteeKey(IStateReader state, RecoveryPolicy? policy, IdentityId trustee, PublicKey key) =>
        policy is not null && Array.IndexOf(policy.Trustees, trustee) >= 0 && state.GetIdentity(trustee)?.HasSigningKey(key) == true;
}
