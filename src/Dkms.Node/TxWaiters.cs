using System.Collections.Concurrent;
using Dkms.Core.Primitives;
using Dkms.Core.Transactions;

namespace Dkms.Node;

/// <summary>How a transaction ended: in a block, or refused.</summary>
public readonly record struct TxOutcome(bool Committed, ulong Height, int Index, TxResult Rejection);

/// <summary>
/// Callers waiting for transactions to be committed (submit mode <c>commit</c>). Completed from the
/// consensus loop after each commit, or when the mempool evicts a transaction as invalid.
/// </summary>
public sealed class TxWaiters
{
    private readonly ConcurrentDictionary<Hash32, TaskCompletionSource<TxOutcome>> _waiting = new();

    public int Count => _waiting.Count;

    /// <summary>A task completing with the outcome of <paramref name="hash"/>. The caller removes it with
    /// <see cref="Forget"/> if it stops waiting. Check for an outcome that already happened after calling this.</summary>
    public Task<TxOutcome> Wait(Hash32 hash) =>
        _waiting.GetOrAdd(hash, _ => new TaskCompletionSource<TxOutcome>(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    public void Complete(Hash32 hash, TxOutcome outcome)
    {
        if (_waiting.TryRemove(hash, out var tcs)) tcs.TrySetResult(outcome);
    }

    public void Forget(Hash32 hash, Task<TxOutcome> task)
    {
        // Shared by every caller waiting for this hash; a caller that gives up removes it, and the others
        // fall back to reading the status when their own timeout ends.
        if (_waiting.TryGetValue(hash, out var tcs) && tcs.Task == task) _waiting.TryRemove(new KeyValuePair<Hash32, TaskCompletionSource<TxOutcome>>(hash, tcs));
    }

    /// <summary>Fails every waiter (the node is stopping).</summary>
    public void CancelAll()
    {
        foreach (var hash in _waiting.Keys)
        {
            if (_waiting.TryRemove(hash, out var tcs)) tcs.TrySetCanceled();
        }
    }
}
