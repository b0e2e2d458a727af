using Dkms.Core.Genesis;
using Dkms.Core.Primitives;
using Dkms.Core.Transactions;
using Dkms.Ledger.State;

namespace Dkms.Ledger.Rules;

/// <summary>Semantic checks of the parts of a body, shared by several transaction types.</summary>
internal static class Validate
{
    public static TxResult KeyConfig(KeyConfig k)
    {
        if (k.SigningKeys.Length == 0) return Invalid("at least one signing key is required");
        if (!AllDistinct<PublicKey>(k.SigningKeys)) return Invalid("signing keys must be distinct");
        if (k.SigningKeys.Any(key => key.IsZero)) return Invalid("a signing key is all zeros");
        if (k.Threshold < 1 || k.Threshold > k.SigningKeys.Length)
        {
            return Invalid($"threshold {k.Threshold} must be between 1 and the number of signing keys ({k.SigningKeys.Length})");
        }

        if (!AllDistinct<Hash32>(k.NextKeyDigests)) return Invalid("next-key digests must be distinct");
        if (k.NextKeyDigests.Length == 0)
        {
            if (k.NextThreshold != 0) return Invalid("next threshold must be 0 when no next keys are committed");
        }
        else if (k.NextThreshold < 1 || k.NextThreshold > k.NextKeyDigests.Length)
        {
            return Invalid($"next threshold {k.NextThreshold} must be between 1 and the number of next-key digests ({k.NextKeyDigests.Length})");
        }

        // Pre-rotation only protects if the next keys were never exposed: they must not be current keys.
        foreach (var key in k.SigningKeys)
        {
            if (Array.IndexOf(k.NextKeyDigests, key.Digest()) >= 0) return Invalid("a next key must not also be a current signing key");
        }

        return TxResult.Success;
    }

    public static TxResult RecoveryPolicy(RecoveryPolicy p, IdentityId owner, IStateReader state, LedgerParameters parameters)
    {
        if (p.Trustees.Length < 2) return Invalid("a recovery policy needs at least 2 trustees");
        if (!AllDistinct<IdentityId>(p.Trustees)) return Invalid("trustees must be distinct");
        if (p.Threshold < 2 || p.Threshold > p.Trustees.Length)
        {
            return Invalid($"recovery threshold {p.Threshold} must be between 2 and the number of trustees ({p.Trustees.Length})");
        }

        if (p.DelaySeconds > Limits.MaxRecoveryDelaySeconds) return Invalid("recovery delay is longer than ten years");
        if (p.DelaySeconds < parameters.MinRecoveryDelaySeconds)
        {
            return Invalid($"recovery delay {p.DelaySeconds} s is shorter than this chain's minimum of {parameters.MinRecoveryDelaySeconds} s");
        }

        foreach (var t in p.Trustees)
        {
            if (t == owner) return Invalid("an identity cannot be its own trustee");
            var trustee = state.GetIdentity(t);
            if (trustee is null) return TxResult.Fail(ErrorCode.UnknownIdentity, $"trustee {t} does not exist");
            if (trustee.Status == IdentityStatus.Deactivated) return TxResult.Fail(ErrorCode.Deactivated, $"trustee {t} is deactivated");
        }

        return TxResult.Success;
    }

    public static TxResult KeyAgreementKey(KeyAgreementKeyEntry k) =>
        k.Key.IsZero ? Invalid("key-agreement key is all zeros") : TxResult.Success;

    /// <summary>
    /// True when no item occurs twice. Pairwise, without a set: every list checked here is bounded by the
    /// decoder's limits (a few dozen items at most) and this runs for every transaction of every block.
    /// </summary>
    public static bool AllDistinct<T>(ReadOnlySpan<T> items) where T : IEquatable<T>
    {
        for (var i = 1; i < items.Length; i++)
        {
            for (var j = 0; j < i; j++)
            {
                if (items[i].Equals(items[j])) return false;
            }
        }

        return true;
    }

    public static TxResult Invalid(string message) => TxResult.Fail(ErrorCode.InvalidParameters, message);
}
