using Dkms.Core.Crypto;
using Dkms.Core.Transactions;

namespace Dkms.Ledger.Execution;

/// <summary>Checks that every signature of a transaction verifies against the key it names.</summary>
public static class SignatureVerifier
{
    /// <summary>Success, or <c>BadSignature</c> naming the first signature that fails. Uses and fills <paramref name="cache"/>.</summary>
    public static TxResult Verify(Transaction tx, SignatureCache cache)
    {
        if (cache.Contains(tx.EnvelopeHash)) return TxResult.Success;
        cache.CountVerification();
        var message = tx.SigningMessage();
        for (var i = 0; i < tx.Signatures.Count; i++)
        {
            var s = tx.Signatures[i];
            if (!Ed25519.Verify(s.Key, message, s.Signature))
            {
                return TxResult.Fail(ErrorCode.BadSignature, $"signature {i} does not verify for key {s.Key}");
            }
        }

        cache.Add(tx.EnvelopeHash);
        return TxResult.Success;
    }

    /// <summary>
    /// Verifies the transactions not yet in <paramref name="cache"/> on all cores, filling the cache.
    /// Failures are not reported here; sequential execution reports them in order.
    /// </summary>
    public static void Prefetch(IReadOnlyList<Transaction> txs, SignatureCache cache)
    {
        var todo = txs.Where(t => !cache.Contains(t.EnvelopeHash)).ToArray();
        if (todo.Length == 0) return;
        if (todo.Length < 16 || Environment.ProcessorCount == 1)
        {
            foreach (var t in todo) Verify(t, cache);
            return;
        }

        Parallel.ForEach(System.Collections.Concurrent.Partitioner.Create(0, todo.Length, Math.Max(8, todo.Length / (Environment.ProcessorCount * 4))),
            range =>
            {
                for (var i = range.Item1; i < range.Item2; i++) Verify(todo[i], cache);
            });
    }
}
