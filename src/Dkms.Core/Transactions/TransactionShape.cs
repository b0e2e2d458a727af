using Dkms.Core.Crypto;

namespace Dkms.Core.Transactions;

/// <summary>
/// Structural checks that need no state: nothing missing, every list and string within
/// <see cref="Limits"/>. Semantic rules (thresholds, authorization) belong to the ledger.
/// </summary>
public static class TransactionShape
{
    public static TxResult Check(TxBody body, TxSignature[] signatures)
    {
        if (string.IsNullOrEmpty(body.ChainId) || body.ChainId.Length > Limits.MaxNameLength) return Bad("chain id missing or too long");
        if (body.Payload is null) return Bad("payload missing");
        if (signatures.Length > Limits.MaxSignatures) return Bad($"more than {Limits.MaxSignatures} signatures");
        foreach (var s in signatures)
        {
            if (s is null || s.Signature is null || s.Signature.Length != Ed25519.SignatureSize) return Bad("a signature is missing or not 64 bytes");
        }

        return body.Payload switch
        {
            InceptionPayload p => CheckInception(p),
            RotationPayload p => CheckKeys(p.Keys),
            RecoveryStartPayload p => CheckKeys(p.Proposed),
            AddKeyAgreementKeyPayload p => CheckKeyAgreement(p.Key),
            RevokeKeyPayload p => p.KeyId is { Length: > Limits.MaxNameLength } ? Bad("key id too long") : TxResult.Success,
            SetRecoveryPolicyPayload p => CheckRecovery(p.Policy),
            SetAgentPolicyPayload p => CheckAgentPolicy(p),
            SetValidatorsPayload p => p.Validators is null || p.Validators.Length > Governance.MaxValidators || p.Validators.Any(v => v?.Address is null || v.Address.Length > 255)
                ? Bad($"validator list missing, longer than {Governance.MaxValidators}, or with a bad address")
                : TxResult.Success,
            RecoveryCancelPayload or RecoveryFinalizePayload or DeactivatePayload => TxResult.Success,
            _ => Bad("unknown payload type"),
        };
    }

    private static TxResult CheckInception(InceptionPayload p)
    {
        var keys = CheckKeys(p.Keys);
        if (!keys.IsOk) return keys;
        if (p.KeyAgreementKeys is null) return Bad("key-agreement key list missing");
        if (p.KeyAgreementKeys.Length > Limits.MaxKeyAgreementKeys) return Bad($"more than {Limits.MaxKeyAgreementKeys} key-agreement keys");
        foreach (var k in p.KeyAgreementKeys)
        {
            var r = CheckKeyAgreement(k);
            if (!r.IsOk) return r;
        }

        return p.Recovery is null ? TxResult.Success : CheckRecovery(p.Recovery);
    }

    private static TxResult CheckKeys(KeyConfig? k)
    {
        if (k?.SigningKeys is null || k.NextKeyDigests is null) return Bad("key configuration incomplete");
        if (k.SigningKeys.Length > Limits.MaxSigningKeys) return Bad($"more than {Limits.MaxSigningKeys} signing keys");
        if (k.NextKeyDigests.Length > Limits.MaxNextKeyDigests) return Bad($"more than {Limits.MaxNextKeyDigests} next-key digests");
        return TxResult.Success;
    }

    private static TxResult CheckKeyAgreement(KeyAgreementKeyEntry? k)
    {
        if (k is null || string.IsNullOrEmpty(k.Id) || k.Purpose is null) return Bad("key-agreement key needs an id and a purpose");
        if (k.Id.Length > Limits.MaxNameLength || k.Purpose.Length > Limits.MaxNameLength) return Bad("key id or purpose too long");
        return TxResult.Success;
    }

    private static TxResult CheckRecovery(RecoveryPolicy? p)
    {
        if (p?.Trustees is null) return Bad("recovery policy incomplete");
        return p.Trustees.Length > Limits.MaxTrustees ? Bad($"more than {Limits.MaxTrustees} trustees") : TxResult.Success;
    }

    private static TxResult CheckAgentPolicy(SetAgentPolicyPayload p)
    {
        if (string.IsNullOrEmpty(p.PolicyId) || p.PolicyId.Length > Limits.MaxNameLength) return Bad("policy id missing or too long");
        if (p.Changes is null) return Bad("agent change list missing");
        if (p.Changes.Length > Limits.MaxAgentChanges) return Bad($"more than {Limits.MaxAgentChanges} agent changes");
        return p.Changes.Any(c => c is null) ? Bad("an agent change is missing") : TxResult.Success;
    }

    private static TxResult Bad(string message) => TransactionCodec.Malformed(message);
}
