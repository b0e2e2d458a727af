using System.Diagnostics;
using Dkms.Core.Encoding;
using Dkms.Core.Primitives;
using Dkms.Ledger.Merkle;

namespace Dkms.Ledger.Bench;

/// <summary>
/// A plain stopwatch split of the headline block (not BenchmarkDotNet): `profile [memory|rocksdb]`.
/// Times Execute and Commit of mixed blocks on 100k identities, and, for comparison, the parts that
/// Execute contains: encoding the touched identity records, hashing them and applying them to a 100k tree.
/// </summary>
public static class Profile
{
    public static void Run(bool rocks)
    {
        var (ledger, store, dir) = Fixture.OpenLedger(rocks);
        try
        {
            var w = new Workload(Fixture.Chain, realSignatures: false);
            var sw = Stopwatch.StartNew();
            Fixture.Prefill(ledger, w, HeadlineBenchmarks.Identities);
            Console.WriteLine($"prefill 100k identities: {sw.Elapsed.TotalSeconds:F1} s");

            const int blocks = 12;
            var prepared = Enumerable.Range(0, blocks).Select(b => w.MixedBlock(Workload.Trustees + b * 1_000, 1_000)).ToArray();
            foreach (var tx in prepared.SelectMany(b => b)) ledger.Signatures.Add(tx.Hash);

            var exec = new List<double>();
            var commit = new List<double>();
            var gcBefore = GC.CollectionCount(0) + GC.CollectionCount(1) + GC.CollectionCount(2);
            foreach (var txs in prepared)
            {
                sw.Restart();
                var block = ledger.Execute(ledger.Height + 1, Fixture.NextTime(ledger), txs);
                exec.Add(sw.Elapsed.TotalMilliseconds);
                Fixture.Require(block.AllAccepted, Fixture.FirstRejection(block));
                sw.Restart();
                ledger.Commit(block);
                commit.Add(sw.Elapsed.TotalMilliseconds);
            }

            var gcs = GC.CollectionCount(0) + GC.CollectionCount(1) + GC.CollectionCount(2) - gcBefore;
            Console.WriteLine($"{(rocks ? "rocksdb" : "memory")}: execute median {Median(exec):F1} ms, commit median {Median(commit):F1} ms (of {blocks} blocks; {gcs} GCs, gen2 {GC.CollectionCount(2)})");

            // The parts: 1,000 identity records encoded, key+value hashed, applied to a tree of 100k leaves.
            var states = Enumerable.Range(Workload.Trustees + blocks * 1_000, 1_000).Select(i => ledger.GetIdentity(w.Id(i))!).ToArray();
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
        }
        finally
        {
            Fixture.Close(store, dir);
        }
    }

    private static double Median(List<double> xs)
    {
        var s = xs.Order().ToArray();
        return s[s.Length / 2];
    }
}
