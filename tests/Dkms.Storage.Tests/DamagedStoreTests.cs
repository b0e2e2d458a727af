namespace Dkms.Storage.Tests;

/// <summary>
/// Damage to a closed RocksDB store — bytes flipped or cut in its write-ahead log or a table file, the
/// synced-write mark removed or garbled — is refused or raised, never read past in silence.
/// </summary>
public sealed class DamagedStoreTests : IDisposable
{
    private const string MarkFile = "DKMS-SYNCED-SEQUENCE";
    private const int Writes = 200;

    private static readonly RocksDbStoreOptions NoVerify = new() { VerifyChecksumsAtOpen = false };

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "dkms-damage-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public void An_undamaged_store_reopens_with_every_synced_write()
    {
        WriteSynced();
        using var store = RocksDbStore.Open(_dir);
        Assert.Equal(Writes, store.Scan([]).Count());
        Assert.True(File.Exists(Path.Combine(_dir, MarkFile)));
    }

    [Fact]
    public void A_store_reopened_many_times_keeps_opening()
    {
        // Each open replays the log into a table file and starts a new log; the mark must follow.
        for (var round = 0; round < 3; round++)
        {
            WriteSynced(offset: round * Writes);
            using var store = RocksDbStore.Open(_dir);
            Assert.Equal((round + 1) * Writes, store.Scan([]).Count());
        }
    }

    [Fact]
    public void A_write_ahead_log_cut_in_half_is_refused_as_lost_synced_writes()
    {
        WriteSynced();
        var log = Wal();
        var bytes = File.ReadAllBytes(log);
        File.WriteAllBytes(log, bytes[..(bytes.Length / 2)]);

        var e = Assert.Throws<StorageCorruptionException>(() => RocksDbStore.Open(_dir).Dispose());
        Assert.Contains("synced", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_write_ahead_log_emptied_is_refused()
    {
        // A cut on a record boundary (here: at its start) looks like a clean end of the log to every recovery mode.
        WriteSynced();
        File.WriteAllBytes(Wal(), []);

        Assert.Throws<StorageCorruptionException>(() => RocksDbStore.Open(_dir).Dispose());
    }

    [Fact]
    public void A_write_ahead_log_with_a_flipped_byte_is_refused()
    {
        WriteSynced();
        var log = Wal();
        var bytes = File.ReadAllBytes(log);
        bytes[bytes.Length / 2] ^= 0x40;
        File.WriteAllBytes(log, bytes);

        Assert.Throws<StorageCorruptionException>(() => RocksDbStore.Open(_dir).Dispose());
    }

    [Fact]
    public void A_missing_mark_on_a_store_that_holds_data_is_refused()
    {
        WriteSynced();
        File.Delete(Path.Combine(_dir, MarkFile));

        var e = Assert.Throws<StorageCorruptionException>(() => RocksDbStore.Open(_dir).Dispose());
        Assert.Contains(MarkFile, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("")]
    [InlineData("flip")]
    public void A_damaged_mark_is_refused(string damage)
    {
        WriteSynced();
        var mark = Path.Combine(_dir, MarkFile);
        Assert.True(File.Exists(mark));
        if (damage == "flip")
        {
            var bytes = File.ReadAllBytes(mark);
            var digit = Array.FindIndex(bytes, "dkms-synced-sequence v1 ".Length, b => b is >= (byte)'1' and <= (byte)'8');
            bytes[digit]++;
            File.WriteAllBytes(mark, bytes);
        }
        else
        {
            File.WriteAllText(mark, damage);
        }

        var e = Assert.Throws<StorageCorruptionException>(() => RocksDbStore.Open(_dir).Dispose());
        Assert.Contains(MarkFile, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_flipped_byte_in_a_table_file_fails_the_scan_instead_of_ending_it()
    {
        var keys = WriteTable();
        FlipInTable();

        using var store = RocksDbStore.Open(_dir, NoVerify);
        var seen = 0;
        var e = Assert.Throws<StorageCorruptionException>(() =>
        {
            foreach (var _ in store.Scan([])) seen++;
        });
        Assert.True(seen < keys, $"the scan saw {seen} of {keys} keys before it failed");
        Assert.Contains("Corruption", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_flipped_byte_in_a_table_file_fails_a_reverse_scan_and_a_snapshot_scan()
    {
        WriteTable();
        FlipInTable();

        using var store = RocksDbStore.Open(_dir, NoVerify);
        Assert.Throws<StorageCorruptionException>(() => store.ScanReverse([]).Count());
        using var snapshot = store.Snapshot();
        Assert.Throws<StorageCorruptionException>(() => snapshot.Scan([]).Count());
    }

    [Fact]
    public void A_flipped_byte_in_a_table_file_fails_point_reads_of_the_damaged_block()
    {
        var keys = WriteTable();
        FlipInTable();

        using var store = RocksDbStore.Open(_dir, NoVerify);
        var failed = 0;
        for (var i = 0; i < keys; i++)
        {
            try
            {
                Assert.NotNull(store.Get(Key(i)));
            }
            catch (StorageCorruptionException)
            {
                failed++;
            }
        }

        Assert.True(failed > 0, "no read reported the damaged block");
    }

    [Fact]
    public void A_flipped_byte_in_a_table_file_is_found_at_open()
    {
        WriteTable();
        FlipInTable();

        var e = Assert.Throws<StorageCorruptionException>(() => RocksDbStore.Open(_dir).Dispose());
        Assert.Contains("checksum", e.Message, StringComparison.OrdinalIgnoreCase);
    }

    private static byte[] Key(int i) => BitConverter.GetBytes(System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(i));

    /// <summary><see cref="Writes"/> synced batches, one key each, left in the write-ahead log (a close does not flush it).</summary>
    private void WriteSynced(int offset = 0)
    {
        using var store = RocksDbStore.Open(_dir);
        for (var i = 0; i < Writes; i++) store.Write(new WriteBatch().Put(Key(offset + i), new byte[300]), sync: true);
    }

    /// <summary>Enough random-valued keys for many table blocks, moved from the log into a table file by a reopen.</summary>
    private int WriteTable()
    {
        const int keys = 20_000;
        var random = new Random(17);
        using (var store = RocksDbStore.Open(_dir))
        {
            for (var start = 0; start < keys; start += 1_000)
            {
                var batch = new WriteBatch();
                for (var i = start; i < start + 1_000; i++)
                {
                    var value = new byte[100];
                    random.NextBytes(value);
                    batch.Put(Key(i), value);
                }

                store.Write(batch, sync: true);
            }
        }

        // Recovery replays the log into a table file.
        RocksDbStore.Open(_dir).Dispose();
        return keys;
    }

    /// <summary>Flips one byte a third into the largest table file: inside a data block.</summary>
    private void FlipInTable()
    {
        var table = Directory.GetFiles(_dir, "*.sst").OrderByDescending(f => new FileInfo(f).Length).First();
        var bytes = File.ReadAllBytes(table);
        bytes[bytes.Length / 3] ^= 0x40;
        File.WriteAllBytes(table, bytes);
    }

    private string Wal()
    {
        var log = Directory.GetFiles(_dir, "*.log").OrderByDescending(f => new FileInfo(f).Length).First();
        Assert.True(new FileInfo(log).Length > 0, "the synced writes should be in the write-ahead log");
        return log;
    }
}
