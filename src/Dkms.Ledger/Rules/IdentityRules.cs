using Dkms.Core.Transactions;
using Dkms.Ledger.State;

namespace Dkms.Ledger.Rules;

/// <summary>Inception, rotation and deactivation: the life of the signing keys (SPEC §3).</summary>
internal static class IdentityRules
{
    public static Verdict Inception(in RuleContext c, InceptionPayload p)
    {
        var tx = c.Tx;
        if (TransactionCodec.DeriveIdentity(p) != tx.Subject)
        {
            return Verdict.Reject(ErrorCode.InvalidParameters, "subject is not the identifier derived from this inception body");
        }

        if (c.State.GetIdentity(tx.Subject) is not null) return Verdict.Reject(ErrorCode.AlreadyExists, $"{tx.Subject} already exists");
        if (tx.Sequence != 1) return Verdict.Reject(ErrorCode.BadSequence, $"an inception has sequence 1, got {tx.Sequence}");

        var r = Validate.KeyConfig(p.Keys);
        if (!r.IsOk) return r;

        if (p.KeyAgreementKeys.Select(k => k.Id).Distinct().Count() != p.KeyAgreementKeys.Length) return Validate.Invalid("key-agreement key ids must be distinct");
        if (p.KeyAgreementKeys.Select(k => k.Key).Distinct().Count() != p.KeyAgreementKeys.Length) return Validate.Invalid("key-agreement keys must be distinct");
        foreach (var k in p.KeyAgreementKeys)
        {
            r = Validate.KeyAgreementKey(k);
            if (!r.IsOk) return r;
        }

        if (p.Recovery is not null)
        {
            r = Validate.RecoveryPolicy(p.Recovery, tx.Subject, c.State, c.Parameters);
            if (!r.IsOk) return r;
        }

        // Self-certifying: only whoever holds the threshold of the new keys can create the identity.
        var signed = Signers.CountOwnKeys(tx, p.Keys.SigningKeys);
        if (signed < p.Keys.Threshold)
        {
            return Verdict.Reject(ErrorCode.ThresholdNotMet, $"inception needs {p.Keys.Threshold} of its signing keys, {signed} signed");
        }

        var height = c.Height;
        var kaks = p.KeyAgreementKeys.Select(k => new KeyAgreementKeyState(k.Id, k.Key, k.Purpose, height, null, null)).ToArray();
        var state = new IdentityState(tx.Subject, p.Keys, kaks, p.Recovery, null, 0, default, IdentityStatus.Active, c.Height, c.Height);
        return Verdict.Accept(new Effects(state));
    }

    public static Verdict Rotation(in RuleContext c, IdentityState s, RotationPayload p)
    {
        var tx = c.Tx;
        if (!s.CanRotate) return Verdict.Reject(ErrorCode.CannotRotate, "this identity committed to no next keys and cannot rotate");

        var r = Validate.KeyConfig(p.Keys);
        if (!r.IsOk) return r;

        // Pre-rotation: every new key must have been committed to, by digest, in the previous event.
        foreach (var key in p.Keys.SigningKeys)
        {
            if (Array.IndexOf(s.Keys.NextKeyDigests, key.Digest()) < 0)
            {
                return Verdict.Reject(ErrorCode.NextKeyMismatch, $"new signing key {key} does not match any committed next-key digest");
            }
        }

        var signed = Signers.CountOwnKeys(tx, p.Keys.SigningKeys);
        var needed = Math.Max(s.Keys.NextThreshold, p.Keys.Threshold);
        if (signed < needed)
        {
            return Verdict.Reject(ErrorCode.ThresholdNotMet,
                $"rotation needs {needed} of the revealed next keys (previous next threshold {s.Keys.NextThreshold}, new threshold {p.Keys.Threshold}), {signed} signed");
        }

        if (p.Recovery is not null)
        {
            r = Validate.RecoveryPolicy(p.Recovery, s.Id, c.State, c.Parameters);
            if (!r.IsOk) return r;
        }

        // A rotation by the owner's next keys also ends any recovery in progress (SPEC §3, RecoveryCancel) and drops
        // a policy change still waiting — the veto against a thief who changed it with the current keys; a policy
        // the rotation carries takes effect at once.
        var next = s with
        {
            Keys = p.Keys,
            Status = IdentityStatus.Active,
            PendingRecovery = null,
            PendingRecoveryPolicy = null,
            Recovery = p.Recovery ?? s.Recovery,
        };
        return Verdict.Accept(new Effects(next, RetiredKeys: Retire(s, p.Keys, c)));
    }

    public static Verdict Deactivate(in RuleContext c, IdentityState s)
    {
        // A thief holding only the current keys must not be able to destroy the identity, so the
        // pre-rotated next keys decide. An identity that committed to no next keys (it can never rotate)
        // is deactivated by its current keys — unless it has a recovery policy: its trustees are then the
        // only authority a thief with the current keys does not hold (and the only way the owner gets the
        // identity back), so they decide, and a thief cannot end their recovery by deactivating.
        if (s.CanRotate)
        {
            if (!Signers.MeetsNextThreshold(c.Tx, s))
            {
                return Verdict.Reject(ErrorCode.ThresholdNotMet, $"deactivation needs {s.Keys.NextThreshold} of the pre-rotated next keys");
            }
        }
        else if (s.Recovery is { } policy)
        {
            if (Signers.ApprovingTrustees(c.Tx, policy, c.State).Length < policy.Threshold)
            {
                return Verdict.Reject(ErrorCode.ThresholdNotMet,
                    $"{s.Id} committed to no next keys and has a recovery policy: deactivation needs {policy.Threshold} of its trustees");
            }
        }
        else if (!Signers.MeetsCurrentThreshold(c.Tx, s))
        {
            return Verdict.Reject(ErrorCode.ThresholdNotMet, $"deactivation needs {s.Keys.Threshold} of the signing keys");
        }

        return Verdict.Accept(new Effects(s with { Status = IdentityStatus.Deactivated, PendingRecovery = null, PendingRecoveryPolicy = null }));
    }

    /// <summary>Records for the keys that stop being current when <paramref name="next"/> replaces the keys of <paramref name="s"/>.</summary>
    public static RetiredKeyRecord[] Retire(IdentityState s, KeyConfig next, in RuleContext c)
    {
        var retired = new List<RetiredKeyRecord>();
        foreach (var old in s.Keys.SigningKeys)
        {
            if (Array.IndexOf(next.SigningKeys, old) >= 0) continue;
            var existing = c.State.GetRetiredKey(s.Id, old);
            retired.Add(new RetiredKeyRecord(s.Id, old, c.Height, existing?.CompromisedAtHeight));
        }

        return [.. retired];
    }
}
