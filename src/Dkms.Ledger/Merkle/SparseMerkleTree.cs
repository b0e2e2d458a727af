using Dkms.Core.Primitives;

namespace Dkms.Ledger.Merkle;

/// <summary>
/// A persistent (immutable, path-copying) compact sparse Merkle tree over 256-bit key hashes.
/// Canonical form: a subtree holding one leaf is that leaf; a subtree holding two or more is an
/// inner node at every level. The shape — and so the root — depends only on the set of entries,
/// never on the order they were written. Every update returns a new tree sharing all untouched
/// nodes with the old one, so old versions stay valid for proofs and a block executed on a new
/// version is dropped by forgetting it. See docs/state-tree.md.
/// </summary>
public sealed class SparseMerkleTree
{
    private const int Depth = 256;

    private readonly Node? _root;

    private SparseMerkleTree(Node? root, int count)
    {
        _root = root;
        Count = count;
    }

    public static readonly SparseMerkleTree Empty = new(null, 0);

    /// <summary>Number of entries.</summary>
    public int Count { get; }

    /// <summary>Root hash; <see cref="Hash32.Zero"/> for the empty tree.</summary>
    public Hash32 Root => _root?.Hash ?? Hash32.Zero;

    public SparseMerkleTree Set(Hash32 keyHash, Hash32 valueHash)
    {
        var added = false;
        var root = Insert(_root, 0, new Leaf(keyHash, valueHash), ref added);
        return new SparseMerkleTree(root, Count + (added ? 1 : 0));
    }

    public SparseMerkleTree Remove(Hash32 keyHash)
    {
        var removed = false;
        var root = Delete(_root, 0, keyHash, ref removed);
        return removed ? new SparseMerkleTree(root, Count - 1) : this;
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
        var delta = 0;
        Node? root;
        if (_root is Inner top && sorted.Length >= ParallelThreshold && Environment.ProcessorCount > 1)
        {
            // The root's two subtrees are independent: build (and hash) the left one on another core.
            // Each side is the same pure function of its inputs, so the result does not depend on timing.
            var split = 0;
            while (split < sorted.Length && sorted[split].Key.Bit(0) == 0) split++;
            var leftTask = Task.Run(() =>
            {
                var d = 0;
                var n = ApplySorted(top.Left, 1, sorted.AsSpan(0, split), ref d);
                return (Node: n, Delta: d);
            });
            var right = ApplySorted(top.Right, 1, sorted.AsSpan(split), ref delta);
            var (left, leftDelta) = leftTask.GetAwaiter().GetResult();
            delta += leftDelta;
            root = Join(left, right);
        }
        else
        {
            root = ApplySorted(_root, 0, sorted, ref delta);
        }

        return new SparseMerkleTree(root, Count + delta);
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

    /// <summary>Batches at least this large hash the root's two subtrees in parallel.</summary>
    private const int ParallelThreshold = 64;

    /// <summary>The node over two rebuilt subtrees, in canonical form: a subtree left with one leaf is that leaf.</summary>
    private static Node? Join(Node? left, Node? right)
    {
        if (left is null && right is Leaf or null) return right;
        if (right is null && left is Leaf) return left;
        return new Inner(left, right);
    }

    private static Node? ApplySorted(Node? node, int depth, ReadOnlySpan<(Hash32 Key, Hash32? Value)> updates, ref int delta)
    {
        if (updates.Length == 0) return node;
        if (updates.Length == 1)
        {
            var changed = false;
            if (updates[0].Value is { } v)
            {
                var result = Insert(node, depth, new Leaf(updates[0].Key, v), ref changed);
                if (changed) delta++;
                return result;
            }

            var after = Delete(node, depth, updates[0].Key, ref changed);
            if (changed) delta--;
            return after;
        }

        if (node is Inner inner)
        {
            // Updates are sorted, so those going left (bit 0 at this depth) come first.
            var split = 0;
            while (split < updates.Length && updates[split].Key.Bit(depth) == 0) split++;
            var left = ApplySorted(inner.Left, depth + 1, updates[..split], ref delta);
            var right = ApplySorted(inner.Right, depth + 1, updates[split..], ref delta);
            return Join(left, right);
        }

        // An empty subtree or a single leaf meets several updates: rebuild this subtree from its final entries.
        var existing = node as Leaf;
        var leaves = new List<Leaf>(updates.Length + 1);
        var existingTouched = false;
        foreach (var (key, value) in updates)
        {
            var isExisting = existing is not null && existing.KeyHash == key;
            existingTouched |= isExisting;
            if (value is { } v)
            {
                leaves.Add(new Leaf(key, v));
                if (!isExisting) delta++;
            }
            else if (isExisting)
            {
                delta--;
            }
        }

        if (existing is not null && !existingTouched)
        {
            // A plain loop, not FindIndex with a lambda: capturing `existing` would allocate a closure on every call of this method.
            var at = 0;
            while (at < leaves.Count && leaves[at].KeyHash < existing.KeyHash) at++;
            leaves.Insert(at, existing);
        }

        var array = leaves.ToArray();
        return BuildSorted(array, 0, array.Length, depth);
    }

    /// <summary>Builds a tree from unordered, distinct entries (used to rebuild state at startup).</summary>
    public static SparseMerkleTree Build(IEnumerable<(Hash32 KeyHash, Hash32 ValueHash)> entries)
    {
        var leaves = entries.Select(e => new Leaf(e.KeyHash, e.ValueHash)).ToArray();
        Array.Sort(leaves, (a, b) => a.KeyHash.CompareTo(b.KeyHash));
        for (var i = 1; i < leaves.Length; i++)
        {
            if (leaves[i].KeyHash == leaves[i - 1].KeyHash) throw new ArgumentException("duplicate key in tree build", nameof(entries));
        }

        return new SparseMerkleTree(BuildSorted(leaves, 0, leaves.Length, 0), leaves.Length);
    }

    public bool TryGetValueHash(Hash32 keyHash, out Hash32 valueHash)
    {
        var node = _root;
        for (var depth = 0; node is Inner inner; depth++) node = inner.Child(keyHash.Bit(depth));
        if (node is Leaf leaf && leaf.KeyHash == keyHash)
        {
            valueHash = leaf.ValueHash;
            return true;
        }

        valueHash = default;
        return false;
    }

    /// <summary>An inclusion proof if the key is present, otherwise an exclusion proof.</summary>
    public MerkleProof Prove(Hash32 keyHash)
    {
        var siblings = new List<Hash32>();
        var node = _root;
        for (var depth = 0; node is Inner inner; depth++)
        {
            var bit = keyHash.Bit(depth);
            siblings.Add(inner.Child(1 - bit)?.Hash ?? Hash32.Zero);
            node = inner.Child(bit);
        }

        return node is Leaf leaf
            ? new MerkleProof([.. siblings], leaf.KeyHash, leaf.ValueHash)
            : new MerkleProof([.. siblings], null, null);
    }

    private static Node Insert(Node? node, int depth, Leaf leaf, ref bool added)
    {
        switch (node)
        {
            case null:
                added = true;
                return leaf;
            case Leaf existing when existing.KeyHash == leaf.KeyHash:
                return existing.ValueHash == leaf.ValueHash ? existing : leaf;
            case Leaf existing:
                added = true;
                return Split(existing, leaf, depth);
            case Inner inner:
                return leaf.KeyHash.Bit(depth) == 0
                    ? new Inner(Insert(inner.Left, depth + 1, leaf, ref added), inner.Right)
                    : new Inner(inner.Left, Insert(inner.Right, depth + 1, leaf, ref added));
            default:
                throw new InvalidOperationException("unknown node type");
        }
    }

    /// <summary>Two leaves that share a prefix down to <paramref name="depth"/>: inner nodes until their bits differ.</summary>
    private static Inner Split(Leaf a, Leaf b, int depth)
    {
        if (depth >= Depth) throw new InvalidOperationException("two distinct keys cannot share all 256 bits");
        var bitA = a.KeyHash.Bit(depth);
        if (bitA != b.KeyHash.Bit(depth)) return bitA == 0 ? new Inner(a, b) : new Inner(b, a);
        var below = Split(a, b, depth + 1);
        return bitA == 0 ? new Inner(below, null) : new Inner(null, below);
    }

    private static Node? Delete(Node? node, int depth, Hash32 keyHash, ref bool removed)
    {
        switch (node)
        {
            case null:
                return null;
            case Leaf leaf:
                if (leaf.KeyHash != keyHash) return leaf;
                removed = true;
                return null;
            case Inner inner:
                var bit = keyHash.Bit(depth);
                var child = Delete(inner.Child(bit), depth + 1, keyHash, ref removed);
                if (!removed) return inner;
                var other = inner.Child(1 - bit);
                // Canonical form: a subtree left with a single leaf collapses to that leaf.
                if (child is null && other is Leaf or null) return other;
                if (other is null && child is Leaf) return child;
                return bit == 0 ? new Inner(child, other) : new Inner(other, child);
            default:
                throw new InvalidOperationException("unknown node type");
        }
    }

    private static Node? BuildSorted(Leaf[] leaves, int from, int to, int depth)
    {
        var n = to - from;
        if (n == 0) return null;
        if (n == 1) return leaves[from];
        // Leaves are sorted, so those with bit 0 at this depth come first.
        var mid = from;
        while (mid < to && leaves[mid].KeyHash.Bit(depth) == 0) mid++;
        if (depth == 0 && n >= ParallelThreshold && Environment.ProcessorCount > 1)
        {
            var left = Task.Run(() => BuildSorted(leaves, from, mid, 1));
            var right = BuildSorted(leaves, mid, to, 1);
            return new Inner(left.GetAwaiter().GetResult(), right);
        }

        return new Inner(BuildSorted(leaves, from, mid, depth + 1), BuildSorted(leaves, mid, to, depth + 1));
    }
}
