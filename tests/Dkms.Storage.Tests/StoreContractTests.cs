namespace Dkms.Storage.Tests;

/// <summary>The behaviour every <see cref="IKeyValueStore"/> must have; run against each implementation.</summary>
public abstract class StoreContractTests : IDisposable
{
    protected abstract IKeyValueStore Store { get; }

    public abstract void Dispose();

    private static byte[] B(params byte[] b) => b;

    private void Put(params (byte[] K, byte[] V)[] kvs)
    {
        var batch = new WriteBatch();
        foreach (var (k, v) in kvs) batch.Put(k, v);
        Store.Write(batch, sync: true);
    }

    [Fact]
    public void Written_values_are_read_back_and_deletes_remove_them()
    {
        Put((B(1), B(10)), (B(2), B(20)));
        Assert.Equal(B(10), Store.Get(B(1)));
        Store.Write(new WriteBatch().Delete(B(1)), sync: false);
        Assert.Null(Store.Get(B(1)));
        Assert.Equal(B(20), Store.Get(B(2)));
        Assert.Null(Store.Get(B(3)));
    }

    [Fact]
    public void Later_operations_in_a_batch_win()
    {
        Store.Write(new WriteBatch().Put(B(1), B(1)).Put(B(1), B(2)).Put(B(3), B(3)).Delete(B(3)), sync: true);
        Assert.Equal(B(2), Store.Get(B(1)));
        Assert.Null(Store.Get(B(3)));
    }

    [Fact]
    public void Later_operations_win_in_a_large_batch_of_unordered_keys()
    {
        // Large batches may be applied in key order internally; a key's own operations must keep their order.
        var batch = new WriteBatch();
        for (var i = 0; i < 500; i++)
        {
            var key = B((byte)(i * 37 % 251), (byte)(i % 2));
            batch.Put(key, B(1)).Delete(key).Put(key, B((byte)i));
        }

        batch.Put(B(7, 7), B(1)).Put(B(7, 7), B(2)).Delete(B(7, 7));
        Store.Write(batch, sync: true);
        for (var i = 0; i < 500; i++)
        {
            // i and i + 251 * 2 would share a key; below 502 every key is written by one i only.
            Assert.Equal(B((byte)i), Store.Get(B((byte)(i * 37 % 251), (byte)(i % 2))));
        }

        Assert.Null(Store.Get(B(7, 7)));
    }

    [Fact]
    public void Prefix_scans_are_ordered_and_bounded_in_both_directions()
    {
        Put((B(1), B(0)), (B(1, 0), B(1)), (B(1, 0xFF), B(2)), (B(1, 0xFF, 0), B(3)), (B(2), B(4)), (B(0xFF), B(5)), (B(0xFF, 0xFF), B(6)), (B(0), B(7)));
        Assert.Equal([B(1), B(1, 0), B(1, 0xFF), B(1, 0xFF, 0)], Store.Scan(B(1)).Select(kv => kv.Key));
        Assert.Equal([B(1, 0xFF, 0), B(1, 0xFF), B(1, 0), B(1)], Store.ScanReverse(B(1)).Select(kv => kv.Key));
        Assert.Equal([B(1, 0xFF), B(1, 0xFF, 0)], Store.Scan(B(1, 0xFF)).Select(kv => kv.Key));
        Assert.Equal([B(0xFF, 0xFF), B(0xFF)], Store.ScanReverse(B(0xFF)).Select(kv => kv.Key));
        Assert.Empty(Store.Scan(B(3)));
        Assert.Empty(Store.ScanReverse(B(3)));
        Assert.Equal(8, Store.Scan([]).Count());
    }

    [Fact]
    public void Snapshot_does_not_see_later_writes()
    {
        Put((B(1), B(1)));
        using var snap = Store.Snapshot();
        Put((B(1), B(2)), (B(1, 1), B(3)));
        Assert.Equal(B(1), snap.Get(B(1)));
        Assert.Single(snap.Scan(B(1)));
        Assert.Equal(B(2), Store.Get(B(1)));
        Assert.Equal(2, Store.Scan(B(1)).Count());
    }
}

public sealed class MemoryStoreTests : StoreContractTests
{
    private readonly MemoryStore _store = new();

    protected override IKeyValueStore Store => _store;

    public override void Dispose() => _store.Dispose();
}

public sealed class RocksDbStoreTests : StoreContractTests
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "dkms-store-" + Guid.NewGuid().ToString("N"));
    private RocksDbStore _store;

    public RocksDbStoreTests() => _store = RocksDbStore.Open(_dir);

    protected override IKeyValueStore Store => _store;

    public override void Dispose()
    {
        _store.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public void Reopened_store_returns_what_was_written()
    {
        _store.Write(new WriteBatch().Put([1], [42]).Put([2], [43]), sync: true);
        _store.Dispose();
        _store = RocksDbStore.Open(_dir);
        Assert.Equal([42], _store.Get([1]));
        Assert.Equal(2, _store.Scan([]).Count());
    }

    [Fact]
    public void Using_a_disposed_store_throws_instead_of_crashing()
    {
        _store.Dispose();
        Assert.Throws<ObjectDisposedException>(() => _store.Write(new WriteBatch().Put([1], [1]), sync: true));
        Assert.Throws<ObjectDisposedException>(() => _store.Get([1]));
        _store = RocksDbStore.Open(_dir);
    }

    [Fact]
    public void Opening_a_path_that_is_a_file_fails_with_a_storage_error()
    {
        var file = _dir + ".file";
        File.WriteAllText(file, "x");
        try
        {
            Assert.Throws<StorageException>(() => RocksDbStore.Open(file));
        }
        finally
        {
            File.Delete(file);
        }
    }
}
