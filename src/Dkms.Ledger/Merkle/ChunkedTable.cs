using System.Numerics;

namespace Dkms.Ledger.Merkle;

/// <summary>
/// An append-only table of plain structs in chunks on the pinned heap: the garbage collector never
/// traces them (no references inside) nor moves them (pinned), and an entry never moves once added, so
/// readers need no lock while writers append. Several writers may append at once (one atomic increment
/// each; a lock only to add a chunk). Chunks grow from 256 entries, doubling, up to 65,536 entries and
/// stay at that size: small tables stay small and a big one wastes at most one chunk.
/// </summary>
internal sealed class ChunkedTable<T>
    where T : unmanaged
{
    private const int FirstChunkBits = 8;
    private const int LastChunkBits = 16;

    /// <summary>Chunks 0..8 double (256 … 65,536 entries); every later chunk holds 65,536.</summary>
    private const int GrowingChunks = LastChunkBits - FirstChunkBits + 1;

    /// <summary>Entries in the doubling chunks together.</summary>
    private const int GrowingEntries = (1 << (LastChunkBits + 1)) - (1 << FirstChunkBits);

    /// <summary>Far beyond what compaction lets a tree's store reach; a guard against a broken policy, not a limit in use.</summary>
    private const int MaxEntries = 1 << 28;

    private readonly Lock _growing = new();
    private T[]?[] _chunks = new T[]?[GrowingChunks];
    private int _count;

    /// <summary>Entries added so far.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Appends <paramref name="entry"/> and returns its index.</summary>
    public int Add(in T entry)
    {
        var index = Interlocked.Increment(ref _count) - 1;
        if ((uint)index >= MaxEntries) throw new InvalidOperationException("the state tree's node store is full: compaction did not run");
        var (chunk, offset) = Locate(index);
        var chunks = Volatile.Read(ref _chunks);
        var table = (chunk < chunks.Length ? Volatile.Read(ref chunks[chunk]) : null) ?? Grow(chunk);
        table[offset] = entry;
        return index;
    }

    /// <summary>The entry at <paramref name="index"/>, which must have been returned by <see cref="Add"/>.</summary>
    public ref readonly T this[int index]
    {
        get
        {
            var (chunk, offset) = Locate(index);
            return ref Volatile.Read(ref Volatile.Read(ref _chunks)[chunk])![offset];
        }
    }

    private static (int Chunk, int Offset) Locate(int index)
    {
        if (index < GrowingEntries)
        {
            // Shifted by the first chunk's size, doubling chunk k starts at 2^(FirstChunkBits + k).
            var shifted = (uint)index + (1u << FirstChunkBits);
            var top = BitOperations.Log2(shifted);
            return (top - FirstChunkBits, (int)(shifted - (1u << top)));
        }

        var rest = index - GrowingEntries;
        return (GrowingChunks + (rest >> LastChunkBits), rest & ((1 << LastChunkBits) - 1));
    }

    private static int ChunkSize(int chunk) => 1 << (FirstChunkBits + Math.Min(chunk, GrowingChunks - 1));

    private T[] Grow(int chunk)
    {
        lock (_growing)
        {
            var chunks = _chunks;
            if (chunk < chunks.Length && chunks[chunk] is { } existing) return existing;
            if (chunk >= chunks.Length)
            {
                // A bigger directory holding the same chunks; readers of the old one still find every
                // chunk they can have an index into (those existed before this one was published).
                var bigger = new T[]?[Math.Max(chunk + 1, chunks.Length * 2)];
                chunks.CopyTo(bigger, 0);
                Volatile.Write(ref _chunks, bigger);
                chunks = bigger;
            }

            var table = GC.AllocateUninitializedArray<T>(ChunkSize(chunk), pinned: true);
            Volatile.Write(ref chunks[chunk], table);
            return table;
        }
    }
}
