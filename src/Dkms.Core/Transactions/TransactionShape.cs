using Dkms.Core.Crypto;

namespace Dkms.Core.Transactions;

/// <summary>
/// Structural checks that need no state: nothing missing, every list and string within
/// <see cref="Limits"/>, and the signature list in its one canonical form (<see cref="CheckSignatures"/>).
/// Semantic rules (thresholds, authorization) belong to the ledger.
/// </summary>
public static class TransactionShape
{
    public static TxResult Check(TxBody body, TxSignature[] signatures)
    {
        if (string.IsNullOrEmpty(body.ChainId) || body.ChainId.Length > Limits.MaxNameLength) return Bad("chain id missing or too long");
        if (body.Payload is null) return Bad("payload missing");
        var sigs = CheckSignatures(body, signatures);
        if (!sigs.IsOk) return sigs;

        return body.Payload switch
        {
            InceptionPayload p => CheckInception(p),
            RotationPayload p => CheckRotation(p),
            RecoveryStartPayload p => CheckKeys(p.Proposed),
            AddKeyAgreementKeyPayload p => CheckKeyAgreement(p.Key),
            RevokeKeyPayload p => p.KeyId is { Length: > Limits.MaxNameLength } ? Bad("key id too long") : TxResult.Success,
            SetRecoveryPolicyPayload p => CheckRecovery(p.Policy),
            SetAgentPolicyPayload p => CheckAgentPolicy(p),
            SetValidatorsPayload p => CheckValidators(p),
            RecoveryCancelPayload or RecoveryFinalizePayload or DeactivatePayload => TxResult.Success,
            _ => Bad("unknown payload type"),
        };
    }

    /// <summary>
    /// One signed body has exactly one signature list: at least one signature; each names a signer only when the
    /// key is another identity's (a trustee) — the subject's own keys and agent keys name none; the entries are in
    /// canonical order (<see cref="CanonicalOrder"/>) with no entry twice; only the types that trustees authorize
    /// carry trustee entries (<c>RecoveryStart</c> carries nothing else; <c>RecoveryCancel</c>, <c>Deactivate</c>); <c>RecoveryFinalize</c>, which anyone may
    /// submit, carries exactly one. A relayer therefore cannot reorder, repeat or relabel signatures to make another
    /// valid form of the same body; it can only drop or add signatures, which changes neither the transaction's
    /// identifier (the body's hash) nor, the ledger's rules seeing to it, what the transaction may do.
    /// </summary>
    public static TxResult CheckSignatures(TxBody body, TxSignature[] signatures)
    {
        if (signatures.Length == 0) return Bad("a transaction needs at least one signature");
        if (signatures.Length > Limits.MaxSignatures) return Bad($"more than {Limits.MaxSignatures} signatures");
        foreach (var s in signatures)
        {
            if (s is null || s.Signature is null || s.Signature.Length != Ed25519.SignatureSize) return Bad("a signature is missing or not 64 bytes");
        }

        var type = body.Payload.Type;
        // Deactivate: the trustees of an identity that committed to no next keys (docs/ledger.md).
        var trusteesAllowed = type is TxType.RecoveryStart or TxType.RecoveryCancel or TxType.Deactivate;
        for (var i = 0; i < signatures.Length; i++)
        {
            var s = signatures[i];
            if (s.Signer is { } signer)
            {
                if (signer == body.Subject) return Bad($"signature {i} names the subject as its signer; the subject's own signatures name none");
                if (!trusteesAllowed) return Bad($"signature {i} names signer {signer}, but a {type} is not signed by trustees");
            }
            else if (type == TxType.RecoveryStart)
            {
                return Bad($"signature {i} names no trustee; a recovery is started by trustees only");
            }

            if (i > 0 && CanonicalOrder(signatures[i - 1], s) >= 0)
            {
                return Bad($"signature {i} is out of canonical order or repeats signature {i - 1} (signer, then key, ascending; each once)");
            }
        }

        if (type == TxType.RecoveryFinalize && signatures.Length != 1) return Bad("a recovery finalize carries exactly one signature");
        return TxResult.Success;
    }

    /// <summary>
    /// The canonical order of a transaction's signatures: entries without a signer first, then by signer
    /// identifier; within one signer by public key (bytes, ascending).
    /// </summary>
    public static int CanonicalOrder(TxSignature a, TxSignature b)
    {
        var bySigner = (a.Signer, b.Signer) switch
        {
            (null, null) => 0,
            (null, _) => -1,
            (_, null) => 1,
            ({ } x, { } y) => x.CompareTo(y),
        };
        return bySigner != 0 ? bySigner : a.Key.CompareTo(b.Key);
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

    private static TxResult CheckRotation(RotationPayload p)
    {
        var keys = CheckKeys(p.Keys);
        return !keys.IsOk || p.Recovery is null ? keys : CheckRecovery(p.Recovery);
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

    /// <summary>A bounded list of entries, each with a P2P address every validator can dial (<see cref="ValidatorAddress"/>).</summary>
    private static TxResult CheckValidators(SetValidatorsPayload p)
    {
        if (p.Validators is null) return Bad("validator list missing");
        if (p.Validators.Length > Governance.MaxValidators) return Bad($"more than {Governance.MaxValidators} validators");
        for (var i = 0; i < p.Validators.Length; i++)
        {
            if (p.Validators[i] is not { } v) return Bad($"validator {i} is missing");
            if (ValidatorAddress.Check(v.Address) is { } why) return Bad($"validator {i} has a bad P2P address: {why}");
        }

        return TxResult.Success;
    }

    private static TxResult Bad(string message) => TransactionCodec.Malformed(message);
}
