using Dkms.Core.Primitives;
using Dkms.Ledger.State;

namespace Dkms.Ledger.Execution;

/// <summary>
/// Decoded identity states as last committed, shared by admission checks, block execution and mempool
/// rechecks, so an identity is read from the store and decoded once per change instead of at every check.
/// States are immutable records (rules derive new ones with <c>with</c>), so sharing them is safe.
/// <para>
/// Consistency with the store: a commit writes the store first, then puts every identity it changed here
/// and moves <see cref="Height"/>. A reader remembers the height it started at and offers what it read
/// from the store only if no commit happened since — otherwise it could put back a state the commit just
/// replaced. An offer made before the commit's update is overwritten by it.
/// </para>
/// Bounded by two generations: when the young one fills, the old one is dropped.
/// </summary>
internal sealed class CommittedIdentityCache(int capacity, ulong height)
{
    private readonly Lock _lock = new();
    private Dictionary<IdentityId, IdentityState?> _young = [];
    private Dictionary<IdentityId, IdentityState?> _old = [];
    private ulong _height = height;

    /// <summary>The committed height the cached states belong to.</summary>
    public ulong Height
    {
        get { lock (_lock) return _height; }
    }

    /// <summary>The committed state of <paramref name="id"/> (null: known to be absent), if cached.</summary>
    public bool TryGet(IdentityId id, out IdentityState? state)
    {
        lock (_lock)
        {
            if (_young.TryGetValue(id, out state)) return true;
            if (!_old.TryGetValue(id, out state)) return false;
            Put(id, state); // still in use: keep it through the next rotation
            return true;
        }
    }

    /// <summary>The cached state, else what <paramref name="read"/> gets from the store (offered as of <paramref name="readAtHeight"/>).</summary>
    public IdentityState? GetOrRead(IdentityId id, ulong readAtHeight, Func<IdentityId, IdentityState?> read)
    {
        if (TryGet(id, out var cached)) return cached;
        var state = read(id);
        Offer(id, state, readAtHeight);
        return state;
    }

    /// <summary>Caches what a reader read from the store while the committed height was <paramref name="readAtHeight"/>.</summary>
    public void Offer(IdentityId id, IdentityState? state, ulong readAtHeight)
    {
        lock (_lock)
        {
            if (readAtHeight == _height) Put(id, state);
        }
    }

    /// <summary>A block at <paramref name="newHeight"/> was written to the store, changing <paramref name="changed"/>.</summary>
    public void Committed(ulong newHeight, IEnumerable<IdentityState> changed)
    {
        lock (_lock)
        {
            foreach (var state in changed) Put(state.Id, state);
            _height = newHeight;
        }
    }

    private void Put(IdentityId id, IdentityState? state)
    {
        _young[id] = state;
        if (_young.Count < Math.Max(1, capacity / 2)) return;
        _old = _young;
        _young = [];
    }
}
