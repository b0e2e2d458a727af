using Dkms.Client;
using Dkms.Node.Tests.Support;
using Dkms.Rpc;
using Dkms.Storage;
using Xunit.Abstractions;

namespace Dkms.Node.Tests.Process;

/// <summary>
/// Issue 17 item 2 at the process level: a validator of a running four-node testnet is stopped, one kind of damage
/// is done to its files, and it must refuse to start — exit code 4 and a message naming the damage and the way to
/// recover — instead of rejoining at a lower height with its consensus record rolled back. Undamaged, it rejoins.
/// </summary>
public sealed class DamagedDataDirectoryTests(ITestOutputHelper output)
{
    private const int Damaged = 3;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    private sealed record Damage(string Name, Action<string> Apply, string Expected);

    private static readonly Damage[] Kinds =
    [
        new("a byte flipped in the middle of the write-ahead log", dir => Flip(Largest(dir, "*.log"), 2), "damaged"),
        new("the write-ahead log cut in half", dir => CutInHalf(Largest(dir, "*.log")), "lost synced writes"),
        new("the synced-write mark deleted", dir => File.Delete(Path.Combine(dir, "DKMS-SYNCED-SEQUENCE")), "DKMS-SYNCED-SEQUENCE"),
        new("the consensus record deleted", DeleteConsensusRecord, "consensus record is missing"),
        new("a byte flipped in a table file", FlipInTable, "checksum"),
    ];

    [Fact]
    public async Task Each_kind_of_damage_to_a_stopped_validators_files_is_refused_at_start_and_an_undamaged_copy_rejoins()
    {
        using var net = new ProcessTestnet(4);
        for (var i = 0; i < 4; i++) net.Start(i);
        var clients = net.RpcEndpoints.Select(u => new DkmsRpcClient(u)).ToArray();
        try
        {
            await ProcessTestnetTests.WaitForPeersAsync(clients, 3, net);
            var builder = new TransactionBuilder(ProcessTestnet.ChainId);
            ulong top = 0;
            for (var round = 0; round < 6; round++)
            {
                var answers = await Task.WhenAll(Enumerable.Range(0, 5)
                    .Select(k => clients[k % 3].SubmitAsync(new TestIdentity($"d{round}-{k}", builder).Incept(), SubmitModes.Commit, 30_000)));
                top = Math.Max(top, answers.Max(a => a.Height!.Value));
            }

            await ProcessTestnetTests.WaitForHeightAsync([clients[Damaged]], top, () => net.Log(Damaged));
            Assert.Equal(0, net.Terminate(Damaged, TimeSpan.FromSeconds(30)));
            var ledger = Path.Combine(net.Directory, $"node{Damaged}", "ledger");
            var pristine = ledger + ".pristine";
            Copy(ledger, pristine);

            // Every kind is tried and the misses reported together: each is its own finding.
            var misses = new List<string>();
            foreach (var kind in Kinds)
            {
                Restore(pristine, ledger);
                kind.Apply(ledger);
                var logStart = net.Log(Damaged).Length;
                net.Start(Damaged);
                var code = net.WaitForExit(Damaged, Patience);
                net.Kill(Damaged);
                var log = net.Log(Damaged)[logStart..];
                output.WriteLine($"--- {kind.Name}: exit {code}\n{log}");
                if (code != 4 || !log.Contains(kind.Expected, StringComparison.Ordinal)
                    || !log.Contains("Recovering a damaged data directory", StringComparison.Ordinal) || !log.Contains(ledger, StringComparison.Ordinal))
                {
                    misses.Add($"{kind.Name}: exit {code?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none (still running)"}, " +
                        $"expected 4 and a message with '{kind.Expected}', the store's path and the runbook; log:\n{log}");
                }
            }

            Assert.True(misses.Count == 0, string.Join("\n\n", misses));

            // The control: the same directory undamaged rejoins and follows the chain.
            Restore(pristine, ledger);
            net.Start(Damaged);
            var more = await clients[0].SubmitAsync(new TestIdentity("after-the-damage", builder).Incept(), SubmitModes.Commit, 30_000);
            await ProcessTestnetTests.WaitForHeightAsync([clients[Damaged]], more.Height!.Value, () => net.Log(Damaged));
            Assert.Equal((await clients[0].BlockAsync(more.Height.Value)).StateRoot, (await clients[Damaged].BlockAsync(more.Height.Value)).StateRoot);

            // Damage found while running: the start replayed the log into a table file holding the early blocks, which
            // nothing has read since. Bytes flipped in it are met by block queries, and the node must stop, not answer.
            var logFrom = net.Log(Damaged).Length;
            // Every table file: which one holds the early blocks depends on when the store flushed (the node may have
            // flushed again while catching up), and a read the block cache answers never meets the damage. The running
            // store may compact meanwhile and move the early blocks into a new table file: each pass damages the table
            // files not damaged before (file numbers are never reused; flipping twice would undo the damage) and reads
            // every block again, until the node stops or the passes run out.
            _ = Largest(ledger, "*.sst"); // at least one non-empty table file
            var damaged = new HashSet<string>(StringComparer.Ordinal);
            for (var pass = 0; pass < 5 && net.WaitForExit(Damaged, TimeSpan.Zero) is null; pass++)
            {
                foreach (var table in Directory.GetFiles(ledger, "*.sst").Where(t => !damaged.Contains(Path.GetFileName(t))))
                {
                    try
                    {
                        FlipThroughout(table);
                        damaged.Add(Path.GetFileName(table));
                    }
                    catch (FileNotFoundException)
                    {
                        // Compacted away between the listing and the open: its successor is listed in the next pass.
                    }
                }

                for (var h = 1UL; h <= top && net.WaitForExit(Damaged, TimeSpan.Zero) is null; h++)
                {
                    try
                    {
                        await clients[Damaged].BlockAsync(h);
                    }
                    catch (Exception e) when (e is RpcException or HttpRequestException or TaskCanceledException)
                    {
                        // The damaged read's own answer (or none, once the node is going down) does not matter.
                    }
                }

                if (net.WaitForExit(Damaged, TimeSpan.FromSeconds(2)) is not null) break;
            }

            output.WriteLine($"table files damaged while running: {string.Join(", ", damaged)}");
            var exit = net.WaitForExit(Damaged, Patience);
            var after = net.Log(Damaged)[logFrom..];
            output.WriteLine($"--- damage met while running: exit {exit}\n{after}");
            Assert.True(exit == 4, $"damage met while running: expected exit 4, got {exit?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "still running"}; log:\n{after}");
            Assert.Contains("Recovering a damaged data directory", after, StringComparison.Ordinal);
        }
        finally
        {
            foreach (var c in clients) c.Dispose();
        }
    }

    private static string Largest(string dir, string pattern)
    {
        var file = Directory.GetFiles(dir, pattern).OrderByDescending(f => new FileInfo(f).Length).First();
        Assert.True(new FileInfo(file).Length > 0, $"{file} is empty");
        return file;
    }

    /// <summary>Flips the byte at 1/<paramref name="part"/> of the file.</summary>
    private static void Flip(string file, int part)
    {
        var bytes = File.ReadAllBytes(file);
        bytes[bytes.Length / part] ^= 0x40;
        File.WriteAllBytes(file, bytes);
    }

    /// <summary>Flips a byte every 512 bytes over the first 90% of the file (its data blocks; the index at its end is
    /// already in memory).</summary>
    private static void FlipThroughout(string file)
    {
        using var f = new FileStream(file, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        var one = new byte[1];
        for (long at = 256; at < f.Length * 9 / 10; at += 512)
        {
            f.Position = at;
            f.ReadExactly(one);
            one[0] ^= 0x40;
            f.Position = at;
            f.Write(one);
        }

        f.Flush(flushToDisk: true);
    }

    private static void CutInHalf(string file)
    {
        var bytes = File.ReadAllBytes(file);
        File.WriteAllBytes(file, bytes[..(bytes.Length / 2)]);
    }

    /// <summary>Deletes the record through RocksDB itself, as a tool or a stray write would: the store stays consistent.</summary>
    private static void DeleteConsensusRecord(string dir)
    {
        using var store = RocksDbStore.Open(dir);
        Assert.NotNull(store.Get("x/consensus-record"u8));
        store.Write(new WriteBatch().Delete("x/consensus-record"u8.ToArray()), sync: true);
    }

    /// <summary>An open moves the log into a table file; then a byte a third into the largest table is flipped.</summary>
    private static void FlipInTable(string dir)
    {
        RocksDbStore.Open(dir).Dispose();
        Flip(Largest(dir, "*.sst"), 3);
    }

    private static void Restore(string from, string to)
    {
        if (Directory.Exists(to)) Directory.Delete(to, recursive: true);
        Copy(from, to);
    }

    private static void Copy(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
    }
}
