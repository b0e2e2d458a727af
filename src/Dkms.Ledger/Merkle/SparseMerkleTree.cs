using Dkms.Core.Primitives;

namespace Dkms.Ledger.Merkle;

/// <summary>
/// A persistent (immutable, path-copying) compact sparse Merkle tree over 256-bit key hashes.
/// Canonical form: a subtree holding one leaf is that leaf; a subtree holding two or more is an
/// inner node at every level. The shape — and so the root — depends only on the set of entries,
/// never on the order they were written. Every update returns a new tree sharing all untouched
/// nodes with the old one, so old versions stay valid for proofs and a block executed on a new
/// version is dropped by forgetting it. Nodes live in a <see cref="NodeStore"/> shared by the versions
/// derived from one another, out of the garbage collector's way. See docs/state-tree.md.
/// </summary>
public sealed class SparseMerkleTree
{
    private const int Depth = 256;

    /// <summary>Batches at least this large hash the root's two subtrees in parallel.</summary>
    private const int ParallelThreshold = 64;

    /// <summary>
    /// A store is compacted when it holds more than this many nodes beyond <see cref="GarbageFactor"/>
    /// times the entry count: small trees never bother, a tree of 100k entries (≈ 240k live nodes) is
    /// copied about once every 40 blocks of 1,000 updates.
    /// </summary>
    private const long CompactionSlack = 65_536;

    private const long GarbageFactor = 6;

    private readonly NodeStore? _store;
    private readonly NodeRef _root;

    private SparseMerkleTree(NodeStore? store, NodeRef root, int count)
    {
        _store = store;
        _root = root;
        Count = count;
    }

    public static readonly SparseMerkleTree Empty = new(null, NodeRef.Empty, 0);

    /// <summary>Number of entries.</summary>
    public int Count { get; }

    /// <summary>Root hash; <see cref="Hash32.Zero"/> for the empty tree.</summary>
    public Hash32 Root => _store is null ? Hash32.Zero : _store.HashOf(_root);

    /// <summary>Nodes held by this version's store, its own and other versions', live or not (for tests and measurements).</summary>
    internal long StoredNodes => _store?.Allocated ?? 0;

    public SparseMerkleTree Set(Hash32 keyHash, Hash32 valueHash)
    {
        var store = _store ?? new NodeStore();
        var added = false;
        var root = Insert(store, _root, 0, keyHash, valueHash, ref added);
        return Version(store, root, Count + (added ? 1 : 0));
    }

    public SparseMerkleTree Remove(Hash32 keyHash)
    {
        if (_store is null) return this;
        var removed = false;
        var root = Delete(_store, _root, 0, keyHash, ref removed);
        return removed ? Version(_store, root, Count - 1) : this;
    }

    /// <summary>
    /// Applies a batch; a null value hash removes the entry; for a key given twice the later update
    /// wins. The batch is sorted once and applied top-down, so every node on the touched paths is
    /// created once per batch rather than once per update.
    /// </summary>
    public SparseMerkleTree Apply(IEnumerable<(Hash32 KeyHash, Hash32? ValueHash)> updates)
    {
        var sorted = SortedLastWins(updates);
        if (sorted.Length == 0) return this;
        var store = _store ?? new NodeStore();
        var delta = 0;
        NodeRef root;
        if (_root.IsInner && sorted.Length >= ParallelThreshold && Environment.ProcessorCount > 1)
        {
            // The root's two subtrees are independent: build (and hash) the left one on another core.
            // Each side is the same pure function of its inputs, so the result does not depend on timing.
            var top = store.Inner(_root);
            var split = 0;
            while (split < sorted.Length && sorted[split].Key.Bit(0) == 0) split++;
            var leftTask = Task.Run(() =>
            {
                var d = 0;
                var n = ApplySorted(store, top.Left, 1, sorted.AsSpan(0, split), ref d);
                return (Node: n, Delta: d);
            });
            var right = ApplySorted(store, top.Right, 1, sorted.AsSpan(split), ref delta);
            var (left, leftDelta) = leftTask.GetAwaiter().GetResult();
            delta += leftDelta;
            root = Join(store, left, right);
        }
        else
        {
            root = ApplySorted(store, _root, 0, sorted, ref delta);
        }

        return Version(store, root, Count + delta);
    }

    /// <summary>A copy of this version alone in a fresh store: same root, same entries, no garbage.</summary>
    internal SparseMerkleTree Compact()
    {
        if (_store is null) return this;
        var fresh = new NodeStore();
        NodeRef root;
        if (_root.IsInner && Count >= ParallelThreshold && Environment.ProcessorCount > 1)
        {
            var top = _store.Inner(_root);
            var leftTask = Task.Run(() => CopyInto(fresh, _store, top.Left));
            var right = CopyInto(fresh, _store, top.Right);
            root = fresh.AddInner(top.Hash, leftTask.GetAwaiter().GetResult(), right);
        }
        else
        {
            root = CopyInto(fresh, _store, _root);
        }

        return new SparseMerkleTree(fresh, root, Count);
    }

    /// <summary>The new version; compacted first when its store holds mostly nodes no longer reachable from it.</summary>
    private static SparseMerkleTree Version(NodeStore store, NodeRef root, int count)
    {
        var tree = new SparseMerkleTree(store, root, count);
        return store.Allocated > GarbageFactor * count + CompactionSlack ? tree.Compact() : tree;
    }

    /// <summary>Copies a subtree, hashes included (nothing is rehashed), into another store.</summary>
    private static NodeRef CopyInto(NodeStore to, NodeStore from, NodeRef node)
    {
        if (node.IsEmpty) return node;
        if (node.IsLeaf)
        {
            ref readonly var leaf = ref from.Leaf(node);
            return to.AddLeaf(leaf.Hash, leaf.KeyHash, leaf.ValueHash);
        }

        var inner = from.Inner(node);
        var left = CopyInto(to, from, inner.Left);
        var right = CopyInto(to, from, inner.Right);
        return to.AddInner(inner.Hash, left, right);
    }

    /// <summary>The updates ordered by key, keeping only the last update of a key given more than once.</summary>
    private static (Hash32 Key, Hash32? Value)[] SortedLastWins(IEnumerable<(Hash32 KeyHash, Hash32? ValueHash)> updates)
    {
        // Sorting by (key, position) keeps a key's updates in the order given; the last of each run wins.
        var numbered = updates.Select((u, i) => (u.KeyHash, u.ValueHash, Position: i)).ToArray();
        Array.Sort(numbered, static (a, b) => a.KeyHash != b.KeyHash ? a.KeyHash.CompareTo(b.KeyHash) : a.Position.CompareTo(b.Position));
        var sorted = new (Hash32 Key, Hash32? Value)[numbered.Length];
        var distinct = 0;
        for (var i = 0; i < numbered.Length; i++)
        {
            if (i + 1 == numbered.Length || numbered[i + 1].KeyHash != numbered[i].KeyHash) sorted[distinct++] = (numbered[i].KeyHash, numbered[i].ValueHash);
        }

        if (distinct < sorted.Length) Array.Resize(ref sorted, distinct); // only when a key was given twice
        return sorted;
    }

    /// <summary>The node over two rebuilt subtrees, in canonical form: a subtree left with one leaf is that leaf.</summary>
    private static NodeRef Join(NodeStore store, NodeRef left, NodeRef right)
    {
        if (left.IsEmpty && !right.IsInner) return right;
        if (right.IsEmpty && left.IsLeaf) return left;
        return store.AddInner(left, right);
    }

    private static NodeRef ApplySorted(NodeStore store, NodeRef node, int depth, ReadOnlySpan<(Hash32 Key, Hash32? Value)> updates, ref int delta)
    {
        if (updates.Length == 0) return node;
        if (updates.Length == 1)
        {
            var changed = false;
            if (updates[0].Value is { } v)
            {
                var result = Insert(store, node, depth, updates[0].Key, v, ref changed);
                if (changed) delta++;
                return result;
            }

            var after = Delete(store, node, depth, updates[0].Key, ref changed);
            if (changed) delta--;
            return after;
        }

        if (node.IsInner)
        {
            // Updates are sorted, so those going left (bit 0 at this depth) come first.
            var inner = store.Inner(node);
            var split = 0;
            while (split < updates.Length && updates[split].Key.Bit(depth) == 0) split++;
            var left = ApplySorted(store, inner.Left, depth + 1, updates[..split], ref delta);
            var right = ApplySorted(store, inner.Right, depth + 1, updates[split..], ref delta);
            return Join(store, left, right);
        }

        // An empty subtree or a single leaf meets several updates: rebuild this subtree from its final entries.
        var hasExisting = node.IsLeaf;
        var existing = hasExisting ? store.Leaf(node) : default;
        var entries = new List<(Hash32 Key, Hash32 Value)>(updates.Length + 1);
        var existingTouched = false;
        foreach (var (key, value) in updates)
        {
            var isExisting = hasExisting && existing.KeyHash == key;
            existingTouched |= isExisting;
            if (value is { } v)
            {
                entries.Add((key, v));
                if (!isExisting) delta++;
            }
            else if (isExisting)
            {
                delta--;
            }
        }

        if (hasExisting && !existingTouched)
        {
            var at = 0;
            while (at < entries.Count && entries[at].Key < existing.KeyHash) at++;
            entries.Insert(at, (existing.KeyHash, existing.ValueHash));
        }

        return BuildSorted(store, entries.ToArray(), 0, entries.Count, depth);
    }

    /// <summary>Builds a tree from unordered, distinct entries (used to rebuild state at startup).</summary>
    public static SparseMerkleTree Build(IEnumerable<(Hash32 KeyHash, Hash32 ValueHash)> entries)
    {
        var sorted = entries.Select(e => (Key: e.KeyHash, Value: e.ValueHash)).ToArray();
        Array.Sort(sorted, static (a, b) => a.Key.CompareTo(b.Key));
        for (var i = 1; i < sorted.Length; i++)
        {
            if (sorted[i].Key == sorted[i - 1].Key) throw new ArgumentException("duplicate key in tree build", nameof(entries));
        }

        if (sorted.Length == 0) return Empty;
        var store = new NodeStore();
        return new SparseMerkleTree(store, BuildSorted(store, sorted, 0, sorted.Length, 0), sorted.Length);
    }

    public bool TryGetValueHash(Hash32 keyHash, out Hash32 valueHash)
    {
        var node = _root;
        if (_store is not null)
        {
            for (var depth = 0; node.IsInner; depth++) node = _store.Inner(node).Child(keyHash.Bit(depth));
            if (node.IsLeaf)
            {
                ref readonly var leaf = ref _store.Leaf(node);
                if (leaf.KeyHash == keyHash)
                {
                    valueHash = leaf.ValueHash;
                    return true;
                }
            }
        }

        valueHash = default;
        return false;
    }

    /// <summary>An inclusion proof if the key is present, otherwise an exclusion proof.</summary>
    public MerkleProof Prove(Hash32 keyHash)
    {
        var siblings = new List<Hash32>();
        if (_store is null) return new MerkleProof([], null, null);
        var node = _root;
        for (var depth = 0; node.IsInner; depth++)
        {
            var bit = keyHash.Bit(depth);
            var inner = _store.Inner(node);
            siblings.Add(_store.HashOf(inner.Child(1 - bit)));
            node = inner.Child(bit);
        }

        if (!node.IsLeaf) return new MerkleProof([.. siblings], null, null);
        ref readonly var leaf = ref _store.Leaf(node);
        return new MerkleProof([.. siblings], leaf.KeyHash, leaf.ValueHash);
    }

    private static NodeRef Insert(NodeStore store, NodeRef node, int depth, Hash32 keyHash, Hash32 valueHash, ref bool added)
    {
        if (node.IsEmpty)
        {
            added = true;
            return store.AddLeaf(keyHash, valueHash);
        }

        if (node.IsLeaf)
        {
            var existing = store.Leaf(node);
            if (existing.KeyHash == keyHash) return existing.ValueHash == valueHash ? node : store.AddLeaf(keyHash, valueHash);
            added = true;
            return Split(store, node, existing.KeyHash, store.AddLeaf(keyHash, valueHash), keyHash, depth);
        }

        var inner = store.Inner(node);
        return keyHash.Bit(depth) == 0
            ? store.AddInner(Insert(store, inner.Left, depth + 1, keyHash, valueHash, ref added), inner.Right)
            : store.AddInner(inner.Left, Insert(store, inner.Right, depth + 1, keyHash, valueHash, ref added));
    }

    /// <summary>Two leaves that share a prefix down to <paramref name="depth"/>: inner nodes until their bits differ.</summary>
    private static NodeRef Split(NodeStore store, NodeRef a, Hash32 keyA, NodeRef b, Hash32 keyB, int depth)
    {
        if (depth >= Depth) throw new InvalidOperationException("two distinct keys cannot share all 256 bits");
        var bitA = keyA.Bit(depth);
        if (bitA != keyB.Bit(depth)) return bitA == 0 ? store.AddInner(a, b) : store.AddInner(b, a);
        var below = Split(store, a, keyA, b, keyB, depth + 1);
        return bitA == 0 ? store.AddInner(below, NodeRef.Empty) : store.AddInner(NodeRef.Empty, below);
    }

    private static NodeRef Delete(NodeStore store, NodeRef node, int depth, Hash32 keyHash, ref bool removed)
    {
        if (node.IsEmpty) return node;
        if (node.IsLeaf)
        {
            if (store.Leaf(node).KeyHash != keyHash) return node;
            removed = true;
            return NodeRef.Empty;
        }

        var inner = store.Inner(node);
        var bit = keyHash.Bit(depth);
        var child = Delete(store, inner.Child(bit), depth + 1, keyHash, ref removed);
        if (!removed) return node;
        var other = inner.Child(1 - bit);
        // Canonical form: a subtree left with a single leaf collapses to that leaf.
        if (child.IsEmpty && !other.IsInner) return other;
        if (other.IsEmpty && child.IsLeaf) return child;
        return bit == 0 ? store.AddInner(child, other) : store.AddInner(other, child);
    }

    private static NodeRef BuildSorted(NodeStore store, (Hash32 Key, Hash32 Value)[] entries, int from, int to, int depth)
    {
        var n = to - from;
        if (n == 0) return NodeRef.Empty;
        if (n == 1) return store.AddLeaf(entries[from].Key, entries[from].Value);
        // Entries are sorted, so those with bit 0 at this depth come first.
        var mid = from;
        while (mid < to && entries[mid].Key.Bit(depth) == 0) mid++;
        if (depth == 0 && n >= ParallelThreshold && Environment.ProcessorCount > 1)
        {
            var left = Task.Run(() => BuildSorted(store, entries, from, mid, 1));
            var right = BuildSorted(store, entries, mid, to, 1);
            return store.AddInner(left.GetAwaiter().GetResult(), right);
        }

        return store.AddInner(BuildSorted(store, entries, from, mid, depth + 1), BuildSorted(store, entries, mid, to, depth + 1));
    }
}
