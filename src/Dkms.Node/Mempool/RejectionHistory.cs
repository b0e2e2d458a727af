using Dkms.Core.Primitives;
using Dkms.Core.Transactions;

namespace Dkms.Node.Mempool;

/// <summary>The most recent rejections by transaction hash, bounded (oldest forgotten first), for <c>tx.status</c>.</summary>
internal sealed class RejectionHistory(int capacity)
{
    private readonly Dictionary<Hash32, TxResult> _results = [];
    private readonly Queue<Hash32> _order = new();
    private readonly Lock _lock = new();

    public void Add(Hash32 hash, TxResult result)
    {
        lock (_lock)
        {
            if (_results.TryAdd(hash, result)) _order.Enqueue(hash);
            else _results[hash] = result;
            while (_order.Count > capacity && _order.TryDequeue(out var old)) _results.Remove(old);
        }
    }

    public bool TryGet(Hash32 hash, out TxResult result)
    {
        lock (_lock) return _results.TryGetValue(hash, out result);
    }
}
