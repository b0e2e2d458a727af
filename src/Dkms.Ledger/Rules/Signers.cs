using Dkms.Core.Primitives;
using Dkms.Core.Transactions;
using Dkms.Ledger.State;

namespace Dkms.Ledger.Rules;

/// <summary>
/// Counting who signed. Signatures are verified before any rule runs, so here a signature entry is
/// proof that its key signed this exact transaction. Each key counts once however often it appears.
/// </summary>
internal static class Signers
{
    /// <summary>Distinct keys from <paramref name="allowed"/> that signed on the subject's own behalf.</summary>
    public static int CountOwnKeys(Transaction tx, PublicKey[] allowed)
    {
        var count = 0;
        var sigs = tx.Signatures;
        for (var i = 0; i < sigs.Count; i++)
        {
            if (IsOwn(tx, sigs[i]) && Array.IndexOf(allowed, sigs[i].Key) >= 0 && !OwnKeyBefore(tx, i)) count++;
        }

        return count;
    }

    /// <summary>Distinct own-behalf signing keys whose SHA-256 digest is one of <paramref name="digests"/> (revealed pre-rotated keys).</summary>
    public static int CountRevealedNextKeys(Transaction tx, Hash32[] digests)
    {
        var count = 0;
        var sigs = tx.Signatures;
        for (var i = 0; i < sigs.Count; i++)
        {
            if (IsOwn(tx, sigs[i]) && Array.IndexOf(digests, sigs[i].Key.Digest()) >= 0 && !OwnKeyBefore(tx, i)) count++;
        }

        return count;
    }

    /// <summary>
    /// True when an earlier own-behalf signature carries the same key as signature <paramref name="index"/>, which
    /// then does not count again. A pairwise look back rather than a set: a transaction has at most
    /// <see cref="Limits.MaxSignatures"/> signatures, and this runs for every transaction of every block.
    /// </summary>
    private static bool OwnKeyBefore(Transaction tx, int index)
    {
        var sigs = tx.Signatures;
        for (var j = 0; j < index; j++)
        {
            if (sigs[j].Key == sigs[index].Key && IsOwn(tx, sigs[j])) return true;
        }

        return false;
    }

    /// <summary>True when the subject's current signing keys meet its current threshold.</summary>
    public static bool MeetsCurrentThreshold(Transaction tx, IdentityState subject) =>
        CountOwnKeys(tx, subject.Keys.SigningKeys) >= subject.Keys.Threshold;

    /// <summary>True when revealed next keys meet the committed next threshold (and there are next keys at all).</summary>
    public static bool MeetsNextThreshold(Transaction tx, IdentityState subject) =>
        subject.CanRotate && CountRevealedNextKeys(tx, subject.Keys.NextKeyDigests) >= subject.Keys.NextThreshold;

    /// <summary>
    /// The trustees of <paramref name="policy"/> who approved this transaction: each one's own current
    /// signing keys (signatures naming it as signer) meet its own threshold, and it is active.
    /// </summary>
    public static IdentityId[] ApprovingTrustees(Transaction tx, RecoveryPolicy policy, IStateReader state)
    {
        var approved = new List<IdentityId>();
        foreach (var trustee in policy.Trustees)
        {
            var t = state.GetIdentity(trustee);
            if (t is null || t.Status != IdentityStatus.Active) continue;
            var seen = new HashSet<PublicKey>();
            foreach (var s in tx.Signatures)
            {
                if (s.Signer == trustee && t.HasSigningKey(s.Key)) seen.Add(s.Key);
            }

            if (seen.Count >= t.Keys.Threshold) approved.Add(trustee);
        }

        approved.Sort();
        return [.. approved];
    }

    /// <summary>Distinct keys that signed without naming another identity: owner keys and agent keys.</summary>
    public static HashSet<PublicKey> OwnBehalfKeys(Transaction tx)
    {
        var keys = new HashSet<PublicKey>();
        foreach (var s in tx.Signatures)
        {
            if (IsOwn(tx, s)) keys.Add(s.Key);
        }

        return keys;
    }

    private static bool IsOwn(Transaction tx, TxSignature s) => s.Signer is null || s.Signer == tx.Subject;
}
