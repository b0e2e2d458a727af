namespace Dkms.Storage;

/// <summary>
/// Wraps a store and counts what passes through it, so a test can bound the work of a query (point reads) or see that
/// a commit is one write and what it writes, without the store itself carrying test hooks.
/// </summary>
public sealed class CountingStore(IKeyValueStore inner) : IKeyValueStore
{
    private long _reads;
    private int _batches;
    private WriteBatch? _last;

    /// <summary>A counting store over a fresh <see cref="MemoryStore"/>.</summary>
    public CountingStore()
        : this(new MemoryStore())
    {
    }

    /// <summary>Point reads served by the store itself (a snapshot's reads are the snapshot's, not counted).</summary>
    public long Reads => Interlocked.Read(ref _reads);

    /// <summary>Batches written.</summary>
    public int BatchesWritten => Volatile.Read(ref _batches);

    /// <summary>The last batch written, as given: what a commit writes and in which order.</summary>
    public WriteBatch? LastBatch => Volatile.Read(ref _last);

    public byte[]? Get(ReadOnlySpan<byte> key)
    {
        Interlocked.Increment(ref _reads);
        return inner.Get(key);
    }

    public IEnumerable<KeyValuePair<byte[], byte[]>> Scan(byte[] prefix) => inner.Scan(prefix);

    public IEnumerable<KeyValuePair<byte[], byte[]>> ScanReverse(byte[] prefix) => inner.ScanReverse(prefix);

    public IKeyValueSnapshot Snapshot() => inner.Snapshot();

    public void Write(WriteBatch batch, bool sync)
    {
        inner.Write(batch, sync);
        Volatile.Write(ref _last, batch);
        Interlocked.Increment(ref _batches);
    }

    public void Dispose() => inner.Dispose();
}
