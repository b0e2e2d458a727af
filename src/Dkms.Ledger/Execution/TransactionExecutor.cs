using Dkms.Core.Encoding;
using Dkms.Core.Genesis;
using Dkms.Core.Primitives;
using Dkms.Core.Transactions;
using Dkms.Ledger.Rules;
using Dkms.Ledger.State;

namespace Dkms.Ledger.Execution;

/// <summary>What every transaction of a chain is judged with besides state: the chain id, the chain's parameters, and the verified-signature cache.</summary>
internal sealed record ChainRules(string ChainId, LedgerParameters Parameters, SignatureCache Signatures);

/// <summary>Checks one transaction against an overlay and, if accepted, applies it there.</summary>
internal static class TransactionExecutor
{
    private static ReadOnlySpan<byte> EventDomain => Domains.EventDigest;

    /// <summary>All checks without applying: chain, duplicate, signatures, rules.</summary>
    public static Verdict Check(StateOverlay overlay, Transaction tx, ChainRules chain, ulong height, ulong blockTimeMs)
    {
        if (tx.Body.ChainId != chain.ChainId)
        {
            return Verdict.Reject(ErrorCode.WrongChain, $"transaction is for chain '{tx.Body.ChainId}', this is '{chain.ChainId}'");
        }

        if (overlay.ContainsNewTransaction(tx.Hash)) return Duplicate(tx);

        // Existence and sequence first: a transaction out of turn or for nobody costs no signature verification.
        var context = new RuleContext(tx, overlay, height, blockTimeMs, chain.Parameters);
        var (pre, subject) = RuleEngine.Precheck(context);
        Verdict verdict;
        if (!pre.IsOk)
        {
            verdict = pre;
        }
        else
        {
            var sig = SignatureVerifier.Verify(tx, chain.Signatures);
            verdict = sig.IsOk ? RuleEngine.Decide(context, subject) : sig;
        }

        // The store's transaction index is consulted only for a transaction the rules refuse. A committed
        // transaction can never pass them again: every accepted transaction sets its subject's sequence
        // (an identity's, or the validator set's) to its own, sequences never go back, and a repeated
        // inception finds its identity already there. So a transaction that passes is not a replay, and
        // one that fails is reported as Duplicate when it is one — the code it always got — without a
        // store read for every transaction of every block.
        if (!verdict.Result.IsOk && overlay.IsCommittedTransaction(tx.Hash)) return Duplicate(tx);
        return verdict;
    }

    private static Verdict Duplicate(Transaction tx) => Verdict.Reject(ErrorCode.Duplicate, $"transaction {tx.Hash} is already committed");

    /// <summary>Checks and, when accepted, applies <paramref name="tx"/> as the block's transaction number <paramref name="index"/>.</summary>
    public static TxResult Execute(StateOverlay overlay, Transaction tx, ChainRules chain, ulong height, ulong blockTimeMs, int index)
    {
        var verdict = Check(overlay, tx, chain, height, blockTimeMs);
        if (!verdict.Result.IsOk) return verdict.Result;
        Apply(overlay, tx, verdict.Effects!, height, blockTimeMs, index);
        return TxResult.Success;
    }

    private static void Apply(StateOverlay overlay, Transaction tx, Effects effects, ulong height, ulong blockTimeMs, int index)
    {
        if (effects.Validators is not null)
        {
            // Governance is not an identity: no event chain, but the transaction is indexed like any other.
            overlay.PutValidators(effects.Validators);
            overlay.AddTransaction(tx.Hash, new TxLocation(height, index, tx.Subject, tx.Sequence));
            return;
        }

        var before = overlay.GetIdentity(tx.Subject);
        var previous = before?.LastEventDigest ?? Hash32.Zero;
        var digest = EventDigest(previous, tx.Hash);
        var state = effects.Subject! with { Sequence = tx.Sequence, LastEventDigest = digest, UpdatedAtHeight = height };
        var stateBytes = Codec.Encode(state);

        overlay.PutIdentity(state, stateBytes);
        if (effects.Policy is not null) overlay.PutPolicy(effects.Policy);
        foreach (var r in effects.RetiredKeys ?? []) overlay.PutRetiredKey(r);

        var e = new EventRecord(tx.Subject, tx.Sequence, height, index, tx.Type, tx.Hash, previous, digest, blockTimeMs, tx.Encoded, stateBytes, before?.UpdatedAtHeight ?? 0);
        overlay.AddEvent(e, new TxLocation(height, index, tx.Subject, tx.Sequence));
    }

    /// <summary>Digest of an event: SHA-256(domain || previous digest || transaction hash).</summary>
    public static Hash32 EventDigest(Hash32 previous, Hash32 txHash)
    {
        Span<byte> buf = stackalloc byte[EventDomain.Length + 2 * Hash32.Size];
        EventDomain.CopyTo(buf);
        previous.CopyTo(buf[EventDomain.Length..]);
        txHash.CopyTo(buf[(EventDomain.Length + Hash32.Size)..]);
        return Hash32.Sha256(buf);
    }
}
