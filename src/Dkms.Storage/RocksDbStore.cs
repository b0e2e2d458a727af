using RocksDbSharp;

namespace Dkms.Storage;

/// <summary>
/// The durable store: one RocksDB database. Batches map to RocksDB write batches (atomic across a
/// crash); a synced write returns only after the WAL is on disk. Any RocksDB failure surfaces as a
/// <see cref="StorageException"/> — callers stop rather than continue on state they could not persist.
/// </summary>
public sealed class RocksDbStore : IKeyValueStore
{
    private readonly RocksDb _db;
    private readonly WriteOptions _syncWrite = new WriteOptions().SetSync(true);
    private readonly WriteOptions _asyncWrite = new WriteOptions().SetSync(false);
    private int _disposed;

    private RocksDbStore(RocksDb db, string path)
    {
        _db = db;
        Path = path;
    }

    public string Path { get; }

    /// <summary>Opens the database in <paramref name="path"/>, creating it if missing.</summary>
    public static RocksDbStore Open(string path)
    {
        try
        {
            Directory.CreateDirectory(path);
        }
        catch (IOException e)
        {
            throw new StorageException($"cannot create the data directory {path}: {e.Message}", e);
        }

        var table = new BlockBasedTableOptions()
            .SetFilterPolicy(BloomFilterPolicy.Create(10, false))
            .SetBlockCache(Cache.CreateLru(64UL * 1024 * 1024));
        var options = new DbOptions()
            .SetCreateIfMissing(true)
            .SetBlockBasedTableFactory(table)
            .SetMaxOpenFiles(512)
            // A Bloom filter over whole keys in the memtable too (the tables already have one), so point
            // reads of absent keys — the duplicate-transaction check of every executed transaction —
            // skip the memtable's skip list.
            .SetMemtablePrefixBloomSizeRatio(0.1);
        Native.Instance.rocksdb_options_set_memtable_whole_key_filtering(options.Handle, 1);
        try
        {
            return new RocksDbStore(RocksDb.Open(options, path), path);
        }
        catch (RocksDbException e)
        {
            throw new StorageException($"cannot open RocksDB at {path}: {e.Message}", e);
        }
    }

    public byte[]? Get(ReadOnlySpan<byte> key)
    {
        ThrowIfDisposed();
        try
        {
            return _db.Get(key.ToArray());
        }
        catch (RocksDbException e)
        {
            throw new StorageException($"read failed: {e.Message}", e);
        }
    }

    public IEnumerable<KeyValuePair<byte[], byte[]>> Scan(byte[] prefix) => Iterate(prefix, null, reverse: false);

    public IEnumerable<KeyValuePair<byte[], byte[]>> ScanReverse(byte[] prefix) => Iterate(prefix, null, reverse: true);

    public IKeyValueSnapshot Snapshot()
    {
        ThrowIfDisposed();
        return new RocksSnapshot(this, _db.CreateSnapshot());
    }

    public void Write(WriteBatch batch, bool sync)
    {
        ThrowIfDisposed();
        using var native = new RocksDbSharp.WriteBatch();
        foreach (var (key, value) in batch.Operations)
        {
            if (value is null) native.Delete(key);
            else native.Put(key, value);
        }

        try
        {
            _db.Write(native, sync ? _syncWrite : _asyncWrite);
        }
        catch (RocksDbException e)
        {
            throw new StorageException($"write of {batch.Count} entries failed: {e.Message}", e);
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0) _db.Dispose();
    }

    private IEnumerable<KeyValuePair<byte[], byte[]>> Iterate(byte[] prefix, ReadOptions? read, bool reverse)
    {
        ThrowIfDisposed();
        using var it = read is null ? _db.NewIterator() : _db.NewIterator(null, read);
        if (!reverse)
        {
            for (it.Seek(prefix); it.Valid(); it.Next())
            {
                var key = it.Key();
                if (!ByteKeyComparer.HasPrefix(key, prefix)) yield break;
                yield return new(key, it.Value());
            }

            yield break;
        }

        // Position on the last key with the prefix: just before the first key past the prefix range.
        var past = Successor(prefix);
        if (past is null) it.SeekToLast();
        else
        {
            it.Seek(past);
            if (it.Valid()) it.Prev();
            else it.SeekToLast();
        }

        for (; it.Valid(); it.Prev())
        {
            var key = it.Key();
            if (!ByteKeyComparer.HasPrefix(key, prefix)) yield break;
            yield return new(key, it.Value());
        }
    }

    /// <summary>The smallest key greater than every key starting with <paramref name="prefix"/>, or null if none exists (all 0xFF).</summary>
    internal static byte[]? Successor(byte[] prefix)
    {
        var s = (byte[])prefix.Clone();
        for (var i = s.Length - 1; i >= 0; i--)
        {
            if (s[i] != 0xFF)
            {
                s[i]++;
                return s[..(i + 1)];
            }
        }

        return null;
    }

    private T Guard<T>(Func<T> read)
    {
        ThrowIfDisposed();
        try
        {
            return read();
        }
        catch (RocksDbException e)
        {
            throw new StorageException($"read failed: {e.Message}", e);
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

    private sealed class RocksSnapshot(RocksDbStore store, Snapshot snapshot) : IKeyValueSnapshot
    {
        private readonly ReadOptions _read = new ReadOptions().SetSnapshot(snapshot);

        public byte[]? Get(ReadOnlySpan<byte> key)
        {
            var k = key.ToArray();
            return store.Guard(() => store._db.Get(k, null, _read));
        }

        public IEnumerable<KeyValuePair<byte[], byte[]>> Scan(byte[] prefix) => store.Iterate(prefix, _read, reverse: false);

        public IEnumerable<KeyValuePair<byte[], byte[]>> ScanReverse(byte[] prefix) => store.Iterate(prefix, _read, reverse: true);

        public void Dispose() => snapshot.Dispose();
    }
}
