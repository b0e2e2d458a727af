using System.Diagnostics;
using Dkms.Core.Crypto;
using Dkms.Core.Encoding;
using Dkms.Core.Primitives;
using Dkms.Core.Transactions;
using Dkms.Ledger.Execution;
using Dkms.Ledger.Merkle;

namespace Dkms.Ledger.Bench;

/// <summary>
/// A plain stopwatch split of the headline block (not BenchmarkDotNet): `profile [memory|rocksdb] [blocks] [warm-up blocks]`.
/// Prefills 100k identities, executes and commits the warm-up blocks unmeasured (a node runs for hours: the JIT's
/// tiered recompilation of the block path is done long before, and here it would otherwise land in the first
/// measured blocks), collects the set-up's garbage (and runs its finalizers), then per round verifies 1,000 real
/// signatures (one thread) and executes and commits one mixed block of 1,000 transactions, measuring wall time,
/// process CPU time (all threads, GC and the store's background work included) and bytes allocated by the
/// executing thread. Reports medians and the ratios to verification.
/// Afterwards, for comparison, the parts that Execute contains: encoding the touched identity records,
/// hashing them and applying them to a 100k tree.
/// </summary>
public static class Profile
{
    /// <summary>Unmeasured blocks before the measured ones, unless the command line says otherwise.</summary>
    public const int DefaultWarmUpBlocks = 10;

    public static void Run(bool rocks, int blocks, int warmUpBlocks)
    {
        // Each block touches 1,000 identities not touched before: the prefilled 100k allow 99 blocks in all.
        Fixture.Require(warmUpBlocks >= 0 && (warmUpBlocks + blocks + 1) * 1_000 <= HeadlineBenchmarks.Identities, "warm-up + measured blocks ≤ 98");
        var (ledger, store, dir) = Fixture.OpenLedger(rocks);
        try
        {
            var w = new Workload(Fixture.Chain, realSignatures: false);
            var sw = Stopwatch.StartNew();
            Fixture.Prefill(ledger, w, HeadlineBenchmarks.Identities);
            Console.WriteLine($"prefill 100k identities: {sw.Elapsed.TotalSeconds:F1} s");

            var all = Enumerable.Range(0, warmUpBlocks + blocks).Select(b => w.MixedBlock(Workload.Trustees + b * 1_000, 1_000)).ToArray();
            foreach (var tx in all.SelectMany(b => b)) ledger.Signatures.Add(tx.EnvelopeHash);
            var signed = new Workload(Fixture.Chain, realSignatures: true, prefix: "real").MixedBlock(Workload.Trustees, 1_000);
            foreach (var txs in all.Take(warmUpBlocks))
            {
                _ = VerifyAll(signed);
                var warm = ledger.Execute(ledger.Height + 1, Fixture.NextTime(ledger), txs);
                Fixture.Require(warm.AllAccepted, Fixture.FirstRejection(warm));
                ledger.Commit(warm);
            }

            var prepared = all[warmUpBlocks..];
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();

            var verify = new Split();
            var exec = new Split();
            var commit = new Split();
            var gcBefore = GC.CollectionCount(0);
            var gen1Before = GC.CollectionCount(1);
            var gen2Before = GC.CollectionCount(2);
            var loopCpu = Environment.CpuUsage.TotalTime;
            foreach (var txs in prepared)
            {
                verify.Measure(() => Fixture.Require(VerifyAll(signed) == signed.Length, "every signature verifies"));
                ExecutedBlock? block = null;
                exec.Measure(() => block = ledger.Execute(ledger.Height + 1, Fixture.NextTime(ledger), txs));
                Fixture.Require(block!.AllAccepted, Fixture.FirstRejection(block));
                commit.Measure(() => ledger.Commit(block));
            }

            loopCpu = Environment.CpuUsage.TotalTime - loopCpu;
            var gcs = $"{GC.CollectionCount(0) - gcBefore} GCs, {GC.CollectionCount(1) - gen1Before} gen1, {GC.CollectionCount(2) - gen2Before} gen2";
            var both = exec.Add(commit);
            Console.WriteLine($"{(rocks ? "rocksdb" : "memory")}, {blocks} blocks after {warmUpBlocks} unmeasured, {gcs} (GC: server={System.Runtime.GCSettings.IsServerGC}, latency={System.Runtime.GCSettings.LatencyMode}):");
            Console.WriteLine($"  verify 1,000 signatures  {verify}");
            Console.WriteLine($"  execute                  {exec}");
            Console.WriteLine($"  commit                   {commit}");
            Console.WriteLine($"  execute+commit           {both}");
            Console.WriteLine($"  ratio execute+commit / verify (medians): wall {both.WallMedian / verify.WallMedian:F3}, CPU {both.CpuMedian / verify.CpuMedian:F3} (target < 0.25)");
            Console.WriteLine($"  ratio execute+commit / verify (means, so GC pauses count wherever they fall): wall {both.WallMean / verify.WallMean:F3}, CPU {both.CpuMean / verify.CpuMean:F3}");
            // The store's flushes and compactions run on their own threads whenever they are due, also while this thread
            // verifies; charging the whole loop's process CPU, less the verification thread's, to the blocks counts them all.
            var outside = (loopCpu.TotalMilliseconds - verify.WallSum) / prepared.Length;
            Console.WriteLine($"  whole loop: process CPU per block outside verification {outside:F1} ms (background store work included wherever it ran), ratio to verify CPU mean {outside / verify.CpuMean:F3}");
            var full = GC.GetGCMemoryInfo(GCKind.FullBlocking);
            var ephemeral = GC.GetGCMemoryInfo(GCKind.Ephemeral);
            Console.WriteLine($"  heap after last GC {full.HeapSizeBytes / 1e6:F0} MB; last blocking gen2 pause {full.PauseDurations[0].TotalMilliseconds:F1} ms (GC #{full.Index}), last ephemeral pause {ephemeral.PauseDurations[0].TotalMilliseconds:F1} ms (gen {ephemeral.Generation}, {ephemeral.PromotedBytes / 1e6:F1} MB promoted: what survives is what a pause costs)");

            // The parts: 1,000 identity records encoded, key+value hashed, applied to a tree of 100k leaves.
            var states = Enumerable.Range(Workload.Trustees + (warmUpBlocks + blocks) * 1_000, 1_000).Select(i => ledger.GetIdentity(w.Id(i))!).ToArray();
            var enc = new List<double>();
            var hash = new List<double>();
            var tree = new List<double>();
            var baseTree = SparseMerkleTree.Build(Enumerable.Range(0, 100_000).Select(i => (Hash32.Sha256(BitConverter.GetBytes(i)), Hash32.Sha256(BitConverter.GetBytes(-i)))));
            _ = baseTree.Root;
            for (var r = 0; r < 7; r++)
            {
                sw.Restart();
                var encoded = states.Select(s => Codec.Encode(s)).ToArray();
                enc.Add(sw.Elapsed.TotalMilliseconds);
                sw.Restart();
                var updates = encoded.Select((e, i) => (Hash32.Sha256(BitConverter.GetBytes(i * 100)), (Hash32?)Hash32.Sha256(e))).ToArray();
                hash.Add(sw.Elapsed.TotalMilliseconds);
                sw.Restart();
                _ = baseTree.Apply(updates).Root;
                tree.Add(sw.Elapsed.TotalMilliseconds);
            }

            Console.WriteLine($"parts per 1,000 writes: encode IdentityState {Median(enc):F1} ms, sha256 of values {Median(hash):F1} ms, tree apply+root {Median(tree):F1} ms");

            // What reading committed state costs, one thread: 1,000 identities not read before (never the same twice,
            // so neither the block cache's nor RocksDB's recently-read blocks favour a second round), then decoding them.
            var get = new List<double>();
            var decode = new List<double>();
            for (var r = 0; r < 7; r++)
            {
                var keys = Enumerable.Range(Workload.Trustees + 50_000 + r * 1_000, 1_000).Select(i => Ledger.State.StateKeys.Identity(w.Id(i))).ToArray();
                sw.Restart();
                var values = keys.Select(k => store.Get(k)!).ToArray();
                get.Add(sw.Elapsed.TotalMilliseconds);
                sw.Restart();
                foreach (var v in values) _ = Codec.Decode<Ledger.State.IdentityState>(v);
                decode.Add(sw.Elapsed.TotalMilliseconds);
            }

            Console.WriteLine($"committed-state reads per 1,000 identities, one thread: store Get {Median(get):F1} ms, decode IdentityState {Median(decode):F1} ms");
        }
        finally
        {
            Fixture.Close(store, dir);
        }
    }

    private static int VerifyAll(Transaction[] txs)
    {
        var ok = 0;
        foreach (var tx in txs)
        {
            var message = tx.SigningMessage();
            foreach (var s in tx.Signatures)
            {
                if (Ed25519.Verify(s.Key, message, s.Signature)) ok++;
            }
        }

        return ok;
    }

    private static double Median(IEnumerable<double> xs)
    {
        var s = xs.Order().ToArray();
        return s.Length == 0 ? 0 : s[s.Length / 2];
    }

    /// <summary>Wall time, process CPU time and bytes allocated on this thread, per measured run.</summary>
    private sealed class Split
    {
        private readonly List<(double Wall, double Cpu, double Alloc, double Pause)> _runs = [];

        public double WallMedian => Median(_runs.Select(r => r.Wall));

        public double CpuMedian => Median(_runs.Select(r => r.Cpu));

        public double WallMean => _runs.Average(r => r.Wall);

        public double WallSum => _runs.Sum(r => r.Wall);

        public double CpuMean => _runs.Average(r => r.Cpu);

        public void Measure(Action action)
        {
            var alloc = GC.GetAllocatedBytesForCurrentThread();
            var pause = GC.GetTotalPauseDuration();
            var cpu = Environment.CpuUsage.TotalTime;
            var sw = Stopwatch.StartNew();
            action();
            var wall = sw.Elapsed.TotalMilliseconds;
            _runs.Add((wall, (Environment.CpuUsage.TotalTime - cpu).TotalMilliseconds, (GC.GetAllocatedBytesForCurrentThread() - alloc) / 1e6, (GC.GetTotalPauseDuration() - pause).TotalMilliseconds));
        }

        public Split Add(Split other)
        {
            var sum = new Split();
            for (var i = 0; i < _runs.Count; i++)
            {
                sum._runs.Add((_runs[i].Wall + other._runs[i].Wall, _runs[i].Cpu + other._runs[i].Cpu, _runs[i].Alloc + other._runs[i].Alloc, _runs[i].Pause + other._runs[i].Pause));
            }

            return sum;
        }

        public override string ToString() =>
            $"wall median {WallMedian,6:F1} ms (min {_runs.Min(r => r.Wall),6:F1}, mean {_runs.Average(r => r.Wall),6:F1}), CPU median {CpuMedian,6:F1} ms (mean {_runs.Average(r => r.Cpu),6:F1}), allocated {Median(_runs.Select(r => r.Alloc)),5:F1} MB, GC pause mean {_runs.Average(r => r.Pause),5:F1} ms";
    }
}
