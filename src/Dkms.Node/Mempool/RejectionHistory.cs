using Dkms.Core.Primitives;
using Dkms.Core.Transactions;

namespace Dkms.Node.Mempool;

/// <summary>The most recent rejections by transaction hash, bounded (oldest forgotten first), for <c>tx.status</c>.</summary>
internal sealed class RejectionHistory(int capacity)
{
    private readonly Dictionary<Hash32, (TxResult Result, bool MempoolFull)> _results = [];
    private readonly Queue<Hash32> _order = new();
    private readonly Lock _lock = new();

    /// <summary>Remembers why <paramref name="hash"/> was refused. <paramref name="overwrite"/> false keeps an earlier
    /// answer: used for failures of one signed form (a bad signature), which say nothing about another form of the same
    /// transaction and must not replace what that form earned (e.g. "mempool full: resubmit").</summary>
    public void Add(Hash32 hash, TxResult result, bool mempoolFull = false, bool overwrite = true)
    {
        lock (_lock)
        {
            if (_results.TryAdd(hash, (result, mempoolFull))) _order.Enqueue(hash);
            else if (overwrite) _results[hash] = (result, mempoolFull);
            while (_order.Count > capacity && _order.TryDequeue(out var old)) _results.Remove(old);
        }
    }

    public bool TryGet(Hash32 hash, out TxResult result, out bool mempoolFull)
    {
        lock (_lock)
        {
            var found = _results.TryGetValue(hash, out var entry);
            (result, mempoolFull) = entry;
            return found;
        }
    }
}
