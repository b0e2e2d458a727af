using Dkms.Storage;

namespace Dkms.Node.Tests.Durability;

/// <summary>A store whose writes can be held at a gate and which records every write (its size and whether synced):
/// to see what the pending journal writes, and when.</summary>
internal sealed class GatedStore(IKeyValueStore inner) : IKeyValueStore
{
    private readonly ManualResetEventSlim _open = new(true);
    private readonly SemaphoreSlim _entered = new(0);

    public List<(int Count, bool Sync)> Writes { get; } = [];

    /// <summary>When each write of <see cref="Writes"/> started (past the gate) and ended.</summary>
    public List<(TimeSpan Start, TimeSpan End)> Times { get; } = [];

    public bool FailWrites { get; set; }

    public IKeyValueStore Inner => inner;

    /// <summary>From now on a write waits at the gate until <see cref="Open"/>.</summary>
    public void Close() => _open.Reset();

    public void Open() => _open.Set();

    /// <summary>Waits until a write has reached the gate (or passed it).</summary>
    public Task EnteredAsync() => _entered.WaitAsync(TimeSpan.FromSeconds(30));

    public void Write(WriteBatch batch, bool sync)
    {
        _entered.Release();
        _open.Wait();
        if (FailWrites) throw new StorageException("disk full (test)");
        var start = System.Diagnostics.Stopwatch.GetElapsedTime(0);
        inner.Write(batch, sync);
        lock (Writes)
        {
            Writes.Add((batch.Count, sync));
            Times.Add((start, System.Diagnostics.Stopwatch.GetElapsedTime(0)));
        }
    }

    public byte[]? Get(ReadOnlySpan<byte> key) => inner.Get(key);

    public IEnumerable<KeyValuePair<byte[], byte[]>> Scan(byte[] prefix) => inner.Scan(prefix);

    public IEnumerable<KeyValuePair<byte[], byte[]>> ScanReverse(byte[] prefix) => inner.ScanReverse(prefix);

    public IKeyValueSnapshot Snapshot() => inner.Snapshot();

    /// <summary>Keeps the inner store: a test reopens the journal on it, as a restarted node reopens its directory.</summary>
    public void Dispose()
    {
    }
}
