using System.Collections.Immutable;

namespace Dkms.Storage;

/// <summary>
/// The in-memory twin of the RocksDB store, for tests and CPU benchmarks. An immutable sorted map
/// makes snapshots free and batches atomic (one reference swap).
/// </summary>
public sealed class MemoryStore : IKeyValueStore
{
    private ImmutableSortedDictionary<byte[], byte[]> _data = ImmutableSortedDictionary.Create<byte[], byte[]>(ByteKeyComparer.Instance);
    private readonly Lock _writeLock = new();

    /// <summary>Number of batches written; tests use it to see that a commit is one write.</summary>
    public int BatchesWritten { get; private set; }

    public byte[]? Get(ReadOnlySpan<byte> key) => View.Get(_data, key);

    public IEnumerable<KeyValuePair<byte[], byte[]>> Scan(byte[] prefix) => View.Scan(_data, prefix);

    public IEnumerable<KeyValuePair<byte[], byte[]>> ScanReverse(byte[] prefix) => View.ScanReverse(_data, prefix);

    public IKeyValueSnapshot Snapshot() => new View(_data);

    public void Write(WriteBatch batch, bool sync)
    {
        lock (_writeLock)
        {
            var b = _data.ToBuilder();
            foreach (var (key, value) in batch.Operations)
            {
                if (value is null) b.Remove(key);
                else b[key.ToArray()] = value.ToArray();
            }

            _data = b.ToImmutable();
            BatchesWritten++;
        }
    }

    public void Dispose()
    {
    }

    private sealed class View(ImmutableSortedDictionary<byte[], byte[]> data) : IKeyValueSnapshot
    {
        public byte[]? Get(ReadOnlySpan<byte> key) => Get(data, key);

        public IEnumerable<KeyValuePair<byte[], byte[]>> Scan(byte[] prefix) => Scan(data, prefix);

        public IEnumerable<KeyValuePair<byte[], byte[]>> ScanReverse(byte[] prefix) => ScanReverse(data, prefix);

        public void Dispose()
        {
        }

        internal static byte[]? Get(ImmutableSortedDictionary<byte[], byte[]> d, ReadOnlySpan<byte> key) =>
            d.TryGetValue(key.ToArray(), out var v) ? v : null;

        // The immutable map has no range seek; a linear filter is fine for the sizes tests use.
        internal static IEnumerable<KeyValuePair<byte[], byte[]>> Scan(ImmutableSortedDictionary<byte[], byte[]> d, byte[] prefix) =>
            d.Where(kv => ByteKeyComparer.HasPrefix(kv.Key, prefix));

        internal static IEnumerable<KeyValuePair<byte[], byte[]>> ScanReverse(ImmutableSortedDictionary<byte[], byte[]> d, byte[] prefix) =>
            Scan(d, prefix).Reverse();
    }
}
