using System.Buffers.Binary;
using Dkms.Core.Primitives;
using Dkms.Core.Transactions;
using Dkms.Storage;
using Microsoft.Extensions.Logging;

namespace Dkms.Node.Mempool;

/// <summary>
/// The transactions this node acknowledged (async "pending", or a sync acceptance) and has not yet seen committed or
/// refused, kept on disk so that a crash of the node — or of every node — loses none of them: replayed into admission at
/// start, trimmed as blocks commit. A refusal of an acknowledged transaction is kept too (bounded), so <c>tx.status</c>
/// still gives its code after a restart.
/// <para>
/// Its own store (not the ledger's): its synced writes must not queue behind, or count among, the ledger's. Group
/// commit: every append, trim and refusal goes to one writer thread, which writes all that came since its last write as
/// one batch — synced when an acknowledgement waits on it — and then completes those acknowledgements. One fsync serves
/// every request that arrived meanwhile; none waits for an fsync of its own.
/// </para>
/// Keys: <c>pending/</c> + arrival number (8 bytes, big-endian: key order is arrival order) → a check (8 bytes of the
/// envelope hash) and the signed transaction;
/// <c>rejected/</c> + the same number → hash, status code, message.
/// </summary>
public sealed partial class PendingJournal : IDisposable
{
    private static readonly byte[] PendingPrefix = StoreLayout.JournalPendingPrefix;
    private static readonly byte[] RejectedPrefix = StoreLayout.JournalRejectedPrefix;
    private const int MaxMessageChars = 512;

    private readonly IKeyValueStore _store;
    private readonly int _capacity;
    private readonly int _rejectionCapacity;
    private readonly long _syncSpacingTicks;
    private readonly ILogger _logger;
    private readonly object _gate = new();
    // Acknowledged entries by signed form (two forms of one transaction are two acknowledgements), and the numbers of
    // each transaction's forms, so a commit (which names transactions) trims all of them.
    private readonly Dictionary<Hash32, Entry> _byEnvelope = [];
    private readonly Dictionary<Hash32, List<Entry>> _byHash = [];
    // Durable refusals: transaction hash → record number, oldest first for trimming.
    private readonly Dictionary<Hash32, long> _rejected = [];
    private readonly Queue<(long Number, Hash32 Hash)> _rejectedOrder = new();
    private readonly Thread _writer;
    private WriteBatch _batch = new();
    private TaskCompletionSource _flushed = NewFlush();
    private bool _syncWanted;
    private bool _stopping;
    private StorageException? _failure;
    private long _nextNumber;

    private sealed record Entry(long Number, Hash32 Hash, Hash32 Envelope, Task Durable);

    /// <summary>Opens the journal on <paramref name="store"/> (which it then owns) and reads what a previous run left:
    /// <see cref="Recovered"/> lists the pending transactions in arrival order. Undecodable entries are deleted,
    /// counted in <see cref="Damaged"/> and logged.</summary>
    /// <param name="syncSpacing">Least time from the end of one synced write to the start of the next: requests arriving
    /// meanwhile share the next one. Zero syncs as soon as the previous sync is done.</param>
    public PendingJournal(IKeyValueStore store, int capacity, int rejectionCapacity, ILogger logger, TimeSpan syncSpacing = default)
    {
        _store = store;
        _capacity = capacity;
        _rejectionCapacity = rejectionCapacity;
        _syncSpacingTicks = (long)(syncSpacing.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
        _logger = logger;
        Recovered = Load();
        _writer = new Thread(RunWriter) { IsBackground = true, Name = "pending-journal" };
        _writer.Start();
    }

    /// <summary>Completes when the writer thread ends: at dispose, or faulted with the store's exception when a write
    /// failed (nothing more can be made durable; the node's supervisor stops the node).</summary>
    public Task Writer => _writerEnded.Task;

    private readonly TaskCompletionSource _writerEnded = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private void RunWriter()
    {
        WriteLoop();
        StorageException? failure;
        lock (_gate) failure = _failure;
        if (failure is null) _writerEnded.TrySetResult();
        else _writerEnded.TrySetException(failure);
    }

    /// <summary>Pending transactions found at open, in arrival order: to be replayed through admission.</summary>
    public IReadOnlyList<Transaction> Recovered { get; }

    /// <summary>Entries found undecodable at open (deleted).</summary>
    public int Damaged { get; private set; }

    /// <summary>Acknowledged transactions not yet committed or refused.</summary>
    public int Count
    {
        get { lock (_gate) return _byEnvelope.Count; }
    }

    /// <summary>True when no further acknowledgement can be journaled now (the bound: pool plus admission queue).</summary>
    public bool IsFull
    {
        get { lock (_gate) return _byEnvelope.Count >= _capacity; }
    }

    /// <summary>Journals <paramref name="tx"/>; the task completes once it is on disk (faults if the store failed). Null
    /// when the journal is full: the caller must not acknowledge. A form already journaled gets its earlier task.</summary>
    public Task? Append(Transaction tx)
    {
        lock (_gate)
        {
            if (_byEnvelope.TryGetValue(tx.EnvelopeHash, out var existing)) return existing.Durable;
            if (_failure is not null) return Task.FromException(_failure);
            if (_byEnvelope.Count >= _capacity || _stopping) return null;
            var number = _nextNumber++;
            var durable = _flushed.Task;
            AddLocked(new Entry(number, tx.Hash, tx.EnvelopeHash, durable));
            _batch.Put(Key(PendingPrefix, number), EncodePending(tx));
            _syncWanted = true;
            Monitor.Pulse(_gate);
            return durable;
        }
    }

    /// <summary>True when this signed form is journaled (acknowledged and not yet settled).</summary>
    public bool Contains(Transaction tx)
    {
        lock (_gate) return _byEnvelope.ContainsKey(tx.EnvelopeHash);
    }

    /// <summary>After a block committed: trims the entries of its transactions (every form). Not synced: a trimmed entry
    /// that comes back after a crash is replayed, recognised as committed and trimmed again.</summary>
    public void Committed(IReadOnlyList<Transaction> txs)
    {
        lock (_gate)
        {
            var any = false;
            foreach (var tx in txs)
            {
                if (!_byHash.Remove(tx.Hash, out var forms)) continue;
                foreach (var entry in forms)
                {
                    _byEnvelope.Remove(entry.Envelope);
                    _batch.Delete(Key(PendingPrefix, entry.Number));
                }

                any = true;
            }

            if (any) Monitor.Pulse(_gate);
        }
    }

    /// <summary>Forgets one form without a refusal record: it turned out committed, or it was never acknowledged.</summary>
    public void Forget(Transaction tx)
    {
        lock (_gate)
        {
            if (!_byEnvelope.Remove(tx.EnvelopeHash, out var entry)) return;
            RemoveNumberLocked(entry);
            _batch.Delete(Key(PendingPrefix, entry.Number));
            Monitor.Pulse(_gate);
        }
    }

    /// <summary>An acknowledged transaction was refused: its entries are replaced, in one batch, by a refusal record
    /// that <see cref="TryGetRejection"/> answers from, across restarts. A failure of one signed form (a bad signature)
    /// settles only that form: another form of the same transaction may still be good. Nothing happens for a
    /// transaction not journaled.</summary>
    public void Rejected(Transaction tx, TxResult why, bool mempoolFull)
    {
        lock (_gate)
        {
            Entry[] settled;
            if (why.Code is ErrorCode.BadSignature or ErrorCode.Malformed)
            {
                if (!_byEnvelope.TryGetValue(tx.EnvelopeHash, out var entry)) return;
                settled = [entry];
            }
            else
            {
                if (!_byHash.TryGetValue(tx.Hash, out var forms)) return;
                settled = [.. forms];
            }

            foreach (var entry in settled)
            {
                _byEnvelope.Remove(entry.Envelope);
                RemoveNumberLocked(entry);
                _batch.Delete(Key(PendingPrefix, entry.Number));
            }

            // One record per transaction, under the number of its first entry (unique: numbers are never reused).
            var number = settled[0].Number;
            _batch.Put(Key(RejectedPrefix, number), EncodeRejection(tx.Hash, why, mempoolFull));
            RememberRejectionLocked(_batch, number, tx.Hash);
            Monitor.Pulse(_gate);
        }
    }

    /// <summary>The durable refusal of an acknowledged transaction, if one was recorded (and not yet trimmed).</summary>
    public bool TryGetRejection(Hash32 hash, out TxResult result, out bool mempoolFull)
    {
        result = default;
        mempoolFull = false;
        long number;
        lock (_gate)
        {
            if (!_rejected.TryGetValue(hash, out number)) return false;
        }

        var value = _store.Get(Key(RejectedPrefix, number));
        // Written in the batch not yet flushed: the in-memory history (the pool's) answers meanwhile.
        return value is not null && TryDecodeRejection(value, out var stored, out result, out mempoolFull) && stored == hash;
    }

    /// <summary>Waits until everything queued so far is on disk (synced).</summary>
    public Task FlushAsync()
    {
        lock (_gate)
        {
            _syncWanted = true;
            Monitor.Pulse(_gate);
            return _flushed.Task;
        }
    }

    private void AddLocked(Entry entry)
    {
        _byEnvelope.Add(entry.Envelope, entry);
        if (!_byHash.TryGetValue(entry.Hash, out var forms)) _byHash[entry.Hash] = forms = [];
        forms.Add(entry);
    }

    private void RemoveNumberLocked(Entry entry)
    {
        if (!_byHash.TryGetValue(entry.Hash, out var forms)) return;
        forms.Remove(entry);
        if (forms.Count == 0) _byHash.Remove(entry.Hash);
    }

    private void RememberRejectionLocked(WriteBatch batch, long number, Hash32 hash)
    {
        if (_rejected.TryGetValue(hash, out var previous)) batch.Delete(Key(RejectedPrefix, previous));
        _rejected[hash] = number;
        _rejectedOrder.Enqueue((number, hash));
        while (_rejected.Count > _rejectionCapacity && _rejectedOrder.TryDequeue(out var old))
        {
            // An entry superseded by a later refusal of the same transaction is already gone.
            if (!_rejected.TryGetValue(old.Hash, out var current) || current != old.Number) continue;
            _rejected.Remove(old.Hash);
            batch.Delete(Key(RejectedPrefix, old.Number));
        }
    }

    private void WriteLoop()
    {
        var lastSyncEnd = 0L;
        while (true)
        {
            WriteBatch batch;
            TaskCompletionSource flushed;
            bool sync;
            lock (_gate)
            {
                while (_batch.Count == 0 && !_syncWanted && !_stopping) Monitor.Wait(_gate);
                if (_batch.Count == 0 && !_syncWanted && _stopping) return;
                // Spacing synced writes: each fsync of this store also commits the file system's journal, which the
                // ledger's block commits on the same disk queue behind. What arrives meanwhile joins this write.
                while (_syncWanted && !_stopping && SpacingLeft(lastSyncEnd) is > 0 and var wait) Monitor.Wait(_gate, wait);
                (batch, _batch) = (_batch, new WriteBatch());
                (flushed, _flushed) = (_flushed, NewFlush());
                sync = _syncWanted;
                _syncWanted = false;
            }

            try
            {
                if (batch.Count > 0 || sync) _store.Write(batch, sync);
                if (sync) lastSyncEnd = System.Diagnostics.Stopwatch.GetTimestamp();
                flushed.TrySetResult();
            }
            catch (Exception e) when (e is StorageException or ObjectDisposedException)
            {
                var failure = e as StorageException ?? new StorageException("the pending journal is closed", e);
                LogWriteFailed(_logger, failure);
                lock (_gate) _failure ??= failure;
                // Nothing more can be made durable: every waiting acknowledgement is refused from now on.
                flushed.TrySetException(failure);
                lock (_gate) _flushed.TrySetException(failure);
                return;
            }
        }
    }

    /// <summary>Milliseconds (at least 1) until the next synced write may start; zero when it may start now.</summary>
    private int SpacingLeft(long lastSyncEnd)
    {
        if (_syncSpacingTicks <= 0 || lastSyncEnd == 0) return 0;
        var left = lastSyncEnd + _syncSpacingTicks - System.Diagnostics.Stopwatch.GetTimestamp();
        return left <= 0 ? 0 : (int)Math.Max(1, left * 1000 / System.Diagnostics.Stopwatch.Frequency);
    }

    private List<Transaction> Load()
    {
        var recovered = new List<Transaction>();
        var cleanup = new WriteBatch();
        foreach (var (key, value) in _store.Scan(PendingPrefix))
        {
            if (!TryNumber(key, PendingPrefix, out var number) || DecodePending(value) is not { } tx)
            {
                Damage(cleanup, key, "pending");
                continue;
            }

            _nextNumber = Math.Max(_nextNumber, number + 1);
            if (_byEnvelope.ContainsKey(tx.EnvelopeHash))
            {
                cleanup.Delete(key); // the same form twice (cannot be written so, but costs nothing to tolerate)
                continue;
            }

            AddLocked(new Entry(number, tx.Hash, tx.EnvelopeHash, Task.CompletedTask));
            recovered.Add(tx);
        }

        foreach (var (key, value) in _store.Scan(RejectedPrefix))
        {
            if (!TryNumber(key, RejectedPrefix, out var number) || !TryDecodeRejection(value, out var hash, out _, out _))
            {
                Damage(cleanup, key, "rejected");
                continue;
            }

            _nextNumber = Math.Max(_nextNumber, number + 1);
            RememberRejectionLocked(cleanup, number, hash);
        }

        if (cleanup.Count > 0) _store.Write(cleanup, sync: true);
        if (recovered.Count > 0 || Damaged > 0) LogRecovered(_logger, recovered.Count, _rejected.Count, Damaged);
        return recovered;
    }

    private void Damage(WriteBatch cleanup, byte[] key, string kind)
    {
        cleanup.Delete(key);
        Damaged++;
        // The key only (its kind and length): a value may hold a client's signed transaction, never logged.
        LogDamaged(_logger, kind, key.Length);
    }

    // Entry: the first 8 bytes of the envelope hash (SHA-256 of the signed form, already computed) | the signed form. A
    // flipped byte that still decodes would replay a different transaction than the one acknowledged: the check finds it.
    private const int CheckBytes = 8;

    private static byte[] EncodePending(Transaction tx)
    {
        var value = new byte[CheckBytes + tx.Encoded.Length];
        tx.EnvelopeHash.ToArray().AsSpan(0, CheckBytes).CopyTo(value);
        tx.Encoded.CopyTo(value, CheckBytes);
        return value;
    }

    private static Transaction? DecodePending(byte[] value)
    {
        if (value.Length <= CheckBytes || !TransactionCodec.TryDecode(value[CheckBytes..], out var tx, out _) || tx is null) return null;
        return tx.EnvelopeHash.ToArray().AsSpan(0, CheckBytes).SequenceEqual(value.AsSpan(0, CheckBytes)) ? tx : null;
    }

    private static bool TryNumber(byte[] key, byte[] prefix, out long number)
    {
        number = 0;
        if (key.Length != prefix.Length + 8) return false;
        number = BinaryPrimitives.ReadInt64BigEndian(key.AsSpan(prefix.Length));
        return number >= 0;
    }

    private static byte[] Key(byte[] prefix, long number)
    {
        var key = new byte[prefix.Length + 8];
        prefix.CopyTo(key, 0);
        BinaryPrimitives.WriteInt64BigEndian(key.AsSpan(prefix.Length), number);
        return key;
    }

    // Record: hash (32) | flags (1: mempool full) | code (4, big-endian) | message (UTF-8, at most 512 characters).
    private static byte[] EncodeRejection(Hash32 hash, TxResult why, bool mempoolFull)
    {
        var message = why.Message.Length > MaxMessageChars ? why.Message[..MaxMessageChars] : why.Message;
        var text = System.Text.Encoding.UTF8.GetBytes(message);
        var value = new byte[Hash32.Size + 5 + text.Length];
        hash.CopyTo(value);
        value[Hash32.Size] = mempoolFull ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteInt32BigEndian(value.AsSpan(Hash32.Size + 1), (int)why.Code);
        text.CopyTo(value, Hash32.Size + 5);
        return value;
    }

    private static bool TryDecodeRejection(byte[] value, out Hash32 hash, out TxResult result, out bool mempoolFull)
    {
        hash = default;
        result = default;
        mempoolFull = false;
        if (value.Length < Hash32.Size + 5 || value[Hash32.Size] > 1) return false;
        var code = (ErrorCode)BinaryPrimitives.ReadInt32BigEndian(value.AsSpan(Hash32.Size + 1));
        if (!Enum.IsDefined(code) || code == ErrorCode.Ok) return false;
        string message;
        try
        {
            message = new System.Text.UTF8Encoding(false, throwOnInvalidBytes: true).GetString(value, Hash32.Size + 5, value.Length - Hash32.Size - 5);
        }
        catch (System.Text.DecoderFallbackException)
        {
            return false;
        }

        if (message.Length > MaxMessageChars) return false;
        hash = new Hash32(value.AsSpan(0, Hash32.Size));
        mempoolFull = value[Hash32.Size] == 1;
        result = TxResult.Fail(code, message);
        return true;
    }

    private static TaskCompletionSource NewFlush() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Writes what is queued (synced), then stops the writer. The store is disposed by the caller's order:
    /// this disposes it too.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_stopping) return;
            _stopping = true;
            _syncWanted = _batch.Count > 0;
            Monitor.Pulse(_gate);
        }

        _writer.Join();
        _store.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Critical, Message = "Pending journal: a damaged {Kind} entry (key of {KeyLength} bytes) could not be decoded; it was deleted. If it held an acknowledged transaction, that transaction is lost")]
    private static partial void LogDamaged(ILogger logger, string kind, int keyLength);

    [LoggerMessage(Level = LogLevel.Information, Message = "Pending journal: {Pending} acknowledged transactions to replay, {Rejected} refusal records, {Damaged} damaged entries deleted")]
    private static partial void LogRecovered(ILogger logger, int pending, int rejected, int damaged);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Pending journal: a write failed; no submission can be acknowledged until the node is restarted")]
    private static partial void LogWriteFailed(ILogger logger, Exception e);
}
