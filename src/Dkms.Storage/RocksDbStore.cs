using RocksDbSharp;

namespace Dkms.Storage;

/// <summary>
/// The durable store: one RocksDB database. Batches map to RocksDB write batches (atomic across a
/// crash); a synced write returns only after the WAL is on disk. Any RocksDB failure surfaces as a
/// <see cref="StorageException"/> — callers stop rather than continue on state they could not persist.
/// </summary>
public sealed class RocksDbStore : IKeyValueStore, IStorageFaultSource
{
    private readonly RocksDb _db;
    private readonly WriteOptions _syncWrite = new WriteOptions().SetSync(true);
    private readonly WriteOptions _asyncWrite = new WriteOptions().SetSync(false);

    // Checksums are RocksDB's default for reads; set here so that no read path depends on that default.
    private readonly ReadOptions _read = new ReadOptions().SetVerifyChecksums(true);
    private readonly SyncedWriteMarkWriter? _mark; // null: opened to read only (OpenToRebuild)

    // Writes and the mark update after them go one at a time, so the sequence read after a synced write is that
    // write's (or an earlier one's): never a later unsynced write's.
    private readonly Lock _writeLock = new();
    private int _disposed;

    private RocksDbStore(RocksDb db, string path, SyncedWriteMark? mark)
    {
        _db = db;
        Path = path;
        _mark = mark is null ? null : new SyncedWriteMarkWriter(mark);
    }

    public string Path { get; }

    /// <summary>Opens the database in <paramref name="path"/>, creating it if missing.</summary>
    public static RocksDbStore Open(string path) => Open(path, new RocksDbStoreOptions());

    /// <summary>
    /// Opens the database in <paramref name="path"/>, creating it if missing. A store whose write-ahead log lost
    /// synced writes, whose synced-write mark is missing or damaged, or (with
    /// <see cref="RocksDbStoreOptions.VerifyChecksumsAtOpen"/>) whose table files fail their checksums is refused
    /// with a <see cref="StorageCorruptionException"/>.
    /// </summary>
    public static RocksDbStore Open(string path, RocksDbStoreOptions settings)
    {
        bool existed;
        try
        {
            existed = File.Exists(System.IO.Path.Combine(path, "CURRENT"));
            Directory.CreateDirectory(path);
        }
        catch (IOException e)
        {
            throw new StorageException($"cannot create the data directory {path}: {e.Message}", e);
        }

        var db = OpenDb(path, createIfMissing: true);
        try
        {
            if (settings.VerifyChecksumsAtOpen) VerifyChecksums(db, path);
            var mark = CheckMark(db, path, existed);
            return new RocksDbStore(db, path, mark);
        }
        catch
        {
            db.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Opens an existing store to read it only, without its synced-write mark (it may have none): the source of a rebuild
    /// from blocks (<c>dkms-node reindex</c>, an upgrade from a layout before the mark), which trusts nothing in it but
    /// blocks with verified certificates and the node's own records. Takes the database's lock as <see cref="Open(string)"/>
    /// does (a running node's store is refused); writes throw.
    /// </summary>
    public static RocksDbStore OpenToRebuild(string path)
    {
        if (!File.Exists(System.IO.Path.Combine(path, "CURRENT"))) throw new StorageException($"there is no store at {path}");
        return new RocksDbStore(OpenDb(path, createIfMissing: false), path, mark: null);
    }

    /// <summary>Whether the store in <paramref name="path"/> has a synced-write mark file (readable or not).</summary>
    public static bool HasSyncedWriteMark(string path) => new SyncedWriteMark(path).Exists;

    private static RocksDb OpenDb(string path, bool createIfMissing)
    {
        var table = new BlockBasedTableOptions()
            .SetFilterPolicy(BloomFilterPolicy.Create(10, false))
            .SetBlockCache(Cache.CreateLru(64UL * 1024 * 1024));
        var options = new DbOptions()
            .SetCreateIfMissing(createIfMissing)
            .SetBlockBasedTableFactory(table)
            .SetMaxOpenFiles(512)
            // A Bloom filter over whole keys in the memtable too (the tables already have one), so point
            // reads of absent keys — the duplicate-transaction check of every executed transaction —
            // skip the memtable's skip list.
            .SetMemtablePrefixBloomSizeRatio(0.1)
            // Stop on damage instead of opening what is left. Point-in-time recovery (the default) replays the log up
            // to the first bad record and opens silently without the rest — a validator restarted far below its
            // height with its consensus record rolled back. This mode accepts only a torn last record (a write whose
            // sync never returned, so never acknowledged) and fails on anything else; a cut on a record boundary it
            // cannot see, which the synced-write mark catches.
            .SetWalRecoveryMode(Recovery.TolerateCorruptedTailRecords)
            .SetParanoidChecks(true);
        Native.Instance.rocksdb_options_set_memtable_whole_key_filtering(options.Handle, 1);
        try
        {
            return RocksDb.Open(options, path);
        }
        catch (RocksDbException e)
        {
            throw IsCorruption(e)
                ? new StorageCorruptionException($"the store at {path} is damaged and cannot be opened: {e.Message}", e)
                : new StorageException($"cannot open RocksDB at {path}: {e.Message}", e);
        }
    }

    /// <summary>
    /// Writes a consistent copy of the store, as of one moment, into <paramref name="directory"/> (which must not exist)
    /// while the store stays open and in use: a RocksDB checkpoint (table files hard-linked where the file system allows,
    /// the in-memory table flushed first) and a synced-write mark naming a sequence the copy holds every write up to, so
    /// the copy opens as any store does. Returns that sequence.
    /// </summary>
    public ulong Checkpoint(string directory)
    {
        ThrowIfDisposed();
        // Read before the checkpoint: every write up to it is in the copy, so the mark claims nothing the copy lacks.
        var sequence = _db.GetLatestSequenceNumber();
        try
        {
            using var checkpoint = _db.Checkpoint();
            checkpoint.Save(directory, 0);
        }
        catch (RocksDbException e)
        {
            throw new StorageException($"cannot write a checkpoint of {Path} to {directory}: {e.Message}", e);
        }

        using var mark = new SyncedWriteMark(directory);
        mark.Advance(sequence);
        return sequence;
    }

    /// <summary>Raised (on the reading or writing thread) when a read or write finds the store damaged, before the
    /// <see cref="StorageCorruptionException"/> is thrown: the node stops on it even if the caller was an RPC request.</summary>
    public event Action<StorageCorruptionException>? CorruptionDetected;

    public byte[]? Get(ReadOnlySpan<byte> key)
    {
        ThrowIfDisposed();
        try
        {
            return _db.Get(key.ToArray(), null, _read);
        }
        catch (RocksDbException e)
        {
            throw Fault("read failed", e);
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
        if (_mark is null) throw new StorageException($"the store at {Path} was opened to be read for a rebuild; it takes no writes");
        using var native = new RocksDbSharp.WriteBatch();
        foreach (var (key, value) in batch.Operations)
        {
            if (value is null) native.Delete(key);
            else native.Put(key, value);
        }

        lock (_writeLock)
        {
            try
            {
                _db.Write(native, sync ? _syncWrite : _asyncWrite);
            }
            catch (RocksDbException e)
            {
                throw Fault($"write of {batch.Count} entries failed", e);
            }

            // The log up to this write is on disk: every write before it is too (the log is one sequential file). The
            // mark follows on its own thread (SyncedWriteMarkWriter), so this write does not wait for a second fsync.
            if (sync) _mark.Synced(_db.GetLatestSequenceNumber());
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        try
        {
            // After any write in flight: the final mark names the last synced write.
            lock (_writeLock) _mark?.Dispose();
        }
        finally
        {
            _db.Dispose();
        }
    }

    private IEnumerable<KeyValuePair<byte[], byte[]>> Iterate(byte[] prefix, ReadOptions? read, bool reverse)
    {
        ThrowIfDisposed();
        using var it = _db.NewIterator(null, read ?? _read);
        // An iterator that meets a damaged block becomes invalid exactly as at the end of the data; only its status
        // tells the two apart. Valid() is true only with an OK status, so the status is checked wherever it is false.
        if (!reverse)
        {
            for (it.Seek(prefix); it.Valid(); it.Next())
            {
                var key = it.Key();
                if (!ByteKeyComparer.HasPrefix(key, prefix)) yield break;
                yield return new(key, it.Value());
            }

            ThrowIfFailed(it);
            yield break;
        }

        // Position on the last key with the prefix: just before the first key past the prefix range.
        var past = Successor(prefix);
        if (past is null) it.SeekToLast();
        else
        {
            it.Seek(past);
            if (it.Valid()) it.Prev();
            else
            {
                ThrowIfFailed(it);
                it.SeekToLast();
            }
        }

        for (; it.Valid(); it.Prev())
        {
            var key = it.Key();
            if (!ByteKeyComparer.HasPrefix(key, prefix)) yield break;
            yield return new(key, it.Value());
        }

        ThrowIfFailed(it);
    }

    private void ThrowIfFailed(Iterator it)
    {
        try
        {
            Native.Instance.rocksdb_iter_get_error(it.Handle);
        }
        catch (RocksDbException e)
        {
            throw Fault("scan failed", e);
        }
    }

    /// <summary>The exception for a failed RocksDB call: a corruption is raised as such (and reported), the rest as storage faults.</summary>
    private StorageException Fault(string what, RocksDbException e)
    {
        if (!IsCorruption(e)) return new StorageException($"{what}: {e.Message}", e);
        var fault = new StorageCorruptionException($"{what}: the store at {Path} is damaged: {e.Message}", e);
        CorruptionDetected?.Invoke(fault);
        return fault;
    }

    private static bool IsCorruption(RocksDbException e) => e.Message.StartsWith("Corruption", StringComparison.Ordinal);

    /// <summary>Reads every block of every table file and checks its checksum.</summary>
    private static void VerifyChecksums(RocksDb db, string path)
    {
        try
        {
            Native.Instance.rocksdb_verify_checksum(db.Handle);
        }
        catch (RocksDbException e)
        {
            throw new StorageCorruptionException($"a table file of the store at {path} fails its checksum: {e.Message}", e);
        }
    }

    /// <summary>
    /// Compares the sequence RocksDB recovered with the synced-write mark. A new (or still empty) store gets its mark
    /// now; a store with data and no readable mark, or one that recovered fewer writes than were synced, is refused.
    /// </summary>
    private static SyncedWriteMark CheckMark(RocksDb db, string path, bool existed)
    {
        var mark = new SyncedWriteMark(path);
        var recovered = db.GetLatestSequenceNumber();
        if (!mark.Exists)
        {
            if (existed && recovered > 0)
            {
                throw new StorageCorruptionException(
                    $"the store at {path} holds data (sequence {recovered}) but has no synced-write mark {SyncedWriteMark.FileName}: " +
                    "the mark was deleted (a store of layout 3 without one was written before the mark existed, and the node rebuilds " +
                    "such a store by itself). Whether writes were lost cannot be told; rebuild the store from its certified blocks " +
                    "(dkms-node reindex --data-dir DIR) or start from a fresh data directory (docs/node.md)");
            }

            mark.Advance(recovered);
            return mark;
        }

        if (!mark.TryRead(out var synced, out var why))
        {
            throw new StorageCorruptionException($"the synced-write mark {mark.Path} {why}; whether the store lost writes cannot be told");
        }

        if (recovered < synced)
        {
            throw new StorageCorruptionException(
                $"the write-ahead log of the store at {path} lost synced writes: it recovered up to sequence {recovered}, " +
                $"but writes up to {synced} were synced ({SyncedWriteMark.FileName}). The log was cut or damaged; opening would roll the node back");
        }

        return mark;
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
            throw Fault("read failed", e);
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

    private sealed class RocksSnapshot(RocksDbStore store, Snapshot snapshot) : IKeyValueSnapshot
    {
        private readonly ReadOptions _read = new ReadOptions().SetSnapshot(snapshot).SetVerifyChecksums(true);

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
