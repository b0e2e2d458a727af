namespace Dkms.Storage;

/// <summary>
/// Moves the <see cref="SyncedWriteMark"/> on a thread of its own, so a synced write does not wait for a second file
/// to be synced: the writer only notes its sequence number, and this thread writes the highest one noted, as often as
/// the disk allows (many writes share one mark update under load). The mark may lag the log by the update in flight,
/// never lead it — it only ever names writes already synced. Closing the store writes the final mark before it returns.
/// </summary>
internal sealed class SyncedWriteMarkWriter : IDisposable
{
    private readonly SyncedWriteMark _mark;
    private readonly SemaphoreSlim _signal = new(0);
    private readonly Thread _thread;
    private long _wanted;
    private volatile bool _stopping;
    private volatile StorageException? _fault;

    public SyncedWriteMarkWriter(SyncedWriteMark mark)
    {
        _mark = mark;
        _wanted = (long)mark.Sequence;
        _thread = new Thread(Run) { IsBackground = true, Name = "dkms-synced-write-mark" };
        _thread.Start();
    }

    /// <summary>Writes up to <paramref name="sequence"/> are on disk. Throws if an earlier mark update failed: the store
    /// can no longer vouch for its log, and the caller must stop as for a failed write.</summary>
    public void Synced(ulong sequence)
    {
        if (_fault is { } fault) throw new StorageException(fault.Message, fault);
        var wanted = (long)sequence;
        for (var seen = Volatile.Read(ref _wanted); wanted > seen; seen = Volatile.Read(ref _wanted))
        {
            if (Interlocked.CompareExchange(ref _wanted, wanted, seen) == seen) break;
        }

        if (_signal.CurrentCount == 0) _signal.Release();
    }

    /// <summary>Stops the thread and writes the last synced sequence noted.</summary>
    public void Dispose()
    {
        _stopping = true;
        _signal.Release();
        _thread.Join();
        _signal.Dispose();
        try
        {
            if (_fault is null) _mark.Advance((ulong)Volatile.Read(ref _wanted));
        }
        finally
        {
            _mark.Dispose();
        }
    }

    private void Run()
    {
        while (true)
        {
            _signal.Wait();
            if (_stopping) return;
            try
            {
                _mark.Advance((ulong)Volatile.Read(ref _wanted));
            }
            catch (StorageException e)
            {
                _fault = e;
                return;
            }
        }
    }
}
