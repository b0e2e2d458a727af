namespace Dkms.Storage;

/// <summary>
/// An ordered byte-key/byte-value store with consistent snapshots and atomic batches. Keys compare
/// as unsigned bytes, lexicographically (RocksDB's default order), so prefix scans are ranges.
/// </summary>
public interface IKeyValueStore : IKeyValueReader, IDisposable
{
    /// <summary>A read-only view frozen at this moment; later writes do not show through it.</summary>
    IKeyValueSnapshot Snapshot();

    /// <summary>
    /// Applies every put and delete of <paramref name="batch"/> atomically: after a crash either all
    /// of it is there or none. With <paramref name="sync"/> the call returns only once the data is on disk.
    /// A failure throws <see cref="StorageException"/>; the caller must stop rather than go on with state
    /// it could not persist.
    /// </summary>
    void Write(WriteBatch batch, bool sync);
}

/// <summary>A store that reports the damage it finds to whoever owns it, whichever caller's read found it.</summary>
public interface IStorageFaultSource
{
    /// <summary>Raised on the reading thread before the <see cref="StorageCorruptionException"/> is thrown to the reader.</summary>
    event Action<StorageCorruptionException>? CorruptionDetected;
}

/// <summary>Point reads and ordered prefix scans.</summary>
public interface IKeyValueReader
{
    byte[]? Get(ReadOnlySpan<byte> key);

    /// <summary>Entries whose key starts with <paramref name="prefix"/>, in ascending key order.</summary>
    IEnumerable<KeyValuePair<byte[], byte[]>> Scan(byte[] prefix);

    /// <summary>Entries whose key starts with <paramref name="prefix"/>, in descending key order.</summary>
    IEnumerable<KeyValuePair<byte[], byte[]>> ScanReverse(byte[] prefix);
}

/// <summary>A frozen view of a store. Dispose it to release what it pins.</summary>
public interface IKeyValueSnapshot : IKeyValueReader, IDisposable;

/// <summary>Thrown when the store cannot read or persist; never caught and ignored.</summary>
public class StorageException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// The store's files are damaged: a checksum failed, the write-ahead log lost writes that were acknowledged as
/// synced, or a record the node wrote itself is missing or inconsistent. The node must stop and not serve or sign
/// from this directory (docs/node.md, "Recovering a damaged data directory").
/// </summary>
public sealed class StorageCorruptionException(string message, Exception? inner = null) : StorageException(message, inner);
