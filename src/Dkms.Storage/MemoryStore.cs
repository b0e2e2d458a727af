using System.Collections.Immutable;

namespace Dkms.Storage;

/// <summary>
/// The in-memory twin of the RocksDB store, for tests and CPU benchmarks. An immutable sorted map
/// makes snapshots free and batches atomic (one reference swap). Counting reads and writes is a test's business:
/// <c>CountingStore</c> (Dkms.Storage.Testing) wraps any store.
/// </summary>
public sealed class MemoryStore : IKeyValueStore
{
    // Values by key, and the same keys in a sorted list so prefix scans can binary-search their start.
    private Data _data = new(ImmutableSortedDictionary.Create<byte[], byte[]>(ByteKeyComparer.Instance), []);
    private readonly Lock _writeLock = new();

    public byte[]? Get(ReadOnlySpan<byte> key) => View.Get(_data, key);

    public IEnumerable<KeyValuePair<byte[], byte[]>> Scan(byte[] prefix) => View.Scan(_data, prefix);

    public IEnumerable<KeyValuePair<byte[], byte[]>> ScanReverse(byte[] prefix) => View.ScanReverse(_data, prefix);

    public IKeyValueSnapshot Snapshot() => new View(_data);

    public void Write(WriteBatch batch, bool sync)
    {
        lock (_writeLock)
        {
            var values = _data.Values.ToBuilder();
            var keys = _data.Keys.ToBuilder();
            foreach (var (key, value) in batch.Operations)
            {
                var i = keys.BinarySearch(key, ByteKeyComparer.Instance);
                if (value is null)
                {
                    if (i >= 0) keys.RemoveAt(i);
                    values.Remove(key);
                    continue;
                }

                var copy = key.ToArray();
                if (i < 0) keys.Insert(~i, copy);
                values[copy] = value.ToArray();
            }

            _data = new Data(values.ToImmutable(), keys.ToImmutable());
        }
    }

    public void Dispose()
    {
    }

    private sealed record Data(ImmutableSortedDictionary<byte[], byte[]> Values, ImmutableList<byte[]> Keys);

    private sealed class View(Data data) : IKeyValueSnapshot
    {
        public byte[]? Get(ReadOnlySpan<byte> key) => Get(data, key);

        public IEnumerable<KeyValuePair<byte[], byte[]>> Scan(byte[] prefix) => Scan(data, prefix);

        public IEnumerable<KeyValuePair<byte[], byte[]>> ScanReverse(byte[] prefix) => ScanReverse(data, prefix);

        public void Dispose()
        {
        }

        internal static byte[]? Get(Data d, ReadOnlySpan<byte> key) =>
            d.Values.TryGetValue(key.ToArray(), out var v) ? v : null;

        internal static IEnumerable<KeyValuePair<byte[], byte[]>> Scan(Data d, byte[] prefix)
        {
            for (var i = First(d.Keys, prefix); i < d.Keys.Count && ByteKeyComparer.HasPrefix(d.Keys[i], prefix); i++)
            {
                yield return new(d.Keys[i], d.Values[d.Keys[i]]);
            }
        }

        internal static IEnumerable<KeyValuePair<byte[], byte[]>> ScanReverse(Data d, byte[] prefix)
        {
            var end = First(d.Keys, prefix);
            while (end < d.Keys.Count && ByteKeyComparer.HasPrefix(d.Keys[end], prefix)) end++;
            for (var i = end - 1; i >= 0 && ByteKeyComparer.HasPrefix(d.Keys[i], prefix); i--)
            {
                yield return new(d.Keys[i], d.Values[d.Keys[i]]);
            }
        }

        /// <summary>Index of the first key not less than <paramref name="prefix"/>: where keys with that prefix begin.</summary>
        private static int First(ImmutableList<byte[]> keys, byte[] prefix)
        {
            var i = keys.BinarySearch(prefix, ByteKeyComparer.Instance);
            return i >= 0 ? i : ~i;
        }
    }
}
