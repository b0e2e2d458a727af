using Dkms.Core.Transactions;
using Dkms.Ledger.State;

namespace Dkms.Ledger.Rules;

/// <summary>Key-agreement keys and compromise marking (SPEC §3 AddKeyAgreementKey / RevokeKey).</summary>
internal static class KeyRules
{
    /// <summary>Most key-agreement keys an identity keeps, revoked ones included (history is never dropped).</summary>
    public const int MaxKeyAgreementHistory = 64;

    public static Verdict Add(in RuleContext c, IdentityState s, AddKeyAgreementKeyPayload p)
    {
        if (!Signers.MeetsCurrentThreshold(c.Tx, s)) return CurrentThresholdNotMet(s);
        var r = Validate.KeyAgreementKey(p.Key);
        if (!r.IsOk) return r;
        if (s.KeyAgreementKeys.Any(k => k.Id == p.Key.Id)) return Verdict.Reject(ErrorCode.KeyAlreadyExists, $"key id '{p.Key.Id}' is already used");
        if (s.KeyAgreementKeys.Any(k => k.Key == p.Key.Key)) return Verdict.Reject(ErrorCode.KeyAlreadyExists, "this key-agreement key was already added");
        if (s.KeyAgreementKeys.Count(k => k.IsActive) >= Limits.MaxKeyAgreementKeys || s.KeyAgreementKeys.Length >= MaxKeyAgreementHistory)
        {
            return Verdict.Reject(ErrorCode.LimitExceeded, $"at most {Limits.MaxKeyAgreementKeys} active and {MaxKeyAgreementHistory} total key-agreement keys");
        }

        var entry = new KeyAgreementKeyState(p.Key.Id, p.Key.Key, p.Key.Purpose, c.Height, null, null);
        return Verdict.Accept(new Effects(s with { KeyAgreementKeys = [.. s.KeyAgreementKeys, entry] }));
    }

    public static Verdict Revoke(in RuleContext c, IdentityState s, RevokeKeyPayload p)
    {
        if (!Signers.MeetsCurrentThreshold(c.Tx, s)) return CurrentThresholdNotMet(s);
        if ((p.KeyId is null) == (p.SigningKey is null)) return Validate.Invalid("name exactly one key: a key-agreement key id or a former signing key");
        if (p.CompromisedAtHeight is { } h && h > c.Height) return Validate.Invalid($"compromisedAtHeight {h} is in the future (height {c.Height})");

        if (p.KeyId is not null)
        {
            var i = Array.FindIndex(s.KeyAgreementKeys, k => k.Id == p.KeyId);
            if (i < 0) return Verdict.Reject(ErrorCode.UnknownKey, $"no key-agreement key '{p.KeyId}'");
            if (!s.KeyAgreementKeys[i].IsActive) return Verdict.Reject(ErrorCode.UnknownKey, $"key-agreement key '{p.KeyId}' is already revoked");
            var keys = (KeyAgreementKeyState[])s.KeyAgreementKeys.Clone();
            keys[i] = keys[i] with { RevokedAtHeight = c.Height, CompromisedAtHeight = p.CompromisedAtHeight };
            return Verdict.Accept(new Effects(s with { KeyAgreementKeys = keys }));
        }

        var key = p.SigningKey!.Value;
        if (s.HasSigningKey(key)) return Validate.Invalid("a current signing key cannot be revoked: rotate to the next keys first, then mark it compromised");
        var retired = c.State.GetRetiredKey(s.Id, key);
        if (retired is null) return Verdict.Reject(ErrorCode.UnknownKey, $"{key} was never a signing key of {s.Id}");

        // Without a height the whole life of the key is suspect: every signature it made is reported invalid.
        var record = retired with { CompromisedAtHeight = p.CompromisedAtHeight ?? 0 };
        return Verdict.Accept(new Effects(s, RetiredKeys: [record]));
    }

    public static Verdict CurrentThresholdNotMet(IdentityState s) =>
        Verdict.Reject(ErrorCode.ThresholdNotMet, $"needs {s.Keys.Threshold} of the current signing keys");
}
