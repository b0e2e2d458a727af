using System.Diagnostics;
using Dkms.Core.Crypto;

namespace Dkms.Consensus.Bench;

/// <summary>
/// `cpu [samples] [heights]`: process CPU time (<see cref="Process.TotalProcessorTime"/>, all threads, GC included) and
/// wall time per committed height for each application, interleaved with the baseline (verifying the block's
/// signatures once per validator) so that every sample's ratio comes from the same stretch of machine time.
/// Prints every sample and the medians.
/// </summary>
public static class CpuRun
{
    public static void Run(int samples, int heights, int txsPerBlock)
    {
        var clusters = new[] { new Cluster(AppKind.FixedCost, txsPerBlock), new Cluster(AppKind.InMemory, txsPerBlock) };
        var baseline = new SignatureBaseline(txsPerBlock);
        foreach (var c in clusters)
        {
            for (var i = 0; i < 50; i++) c.OneHeight(); // JIT tiers, steady state
        }

        for (var i = 0; i < 3; i++) baseline.VerifyAll();

        var rows = clusters.Select(c => new List<(double Cpu, double Wall)>()).ToArray();
        var verify = new List<(double Cpu, double Wall)>();
        Console.WriteLine($"{Cluster.Validators} validators, {txsPerBlock} txs per block, {samples} samples of {heights} heights; ms per height (CPU / wall)");
        for (var s = 0; s < samples; s++)
        {
            for (var k = 0; k < clusters.Length; k++)
            {
                var c = clusters[k];
                rows[k].Add(Measure(() =>
                {
                    for (var h = 0; h < heights; h++) c.OneHeight();
                }, heights));
            }

            verify.Add(Measure(() => baseline.VerifyAll(), 1));
            Console.WriteLine($"sample {s + 1}: fixed-cost app {Fmt(rows[0][^1])}, in-memory app {Fmt(rows[1][^1])}, verify {txsPerBlock} sigs x {Cluster.Validators} {Fmt(verify[^1])}"
                + $"  ratios {rows[0][^1].Cpu / verify[^1].Cpu:F3} / {rows[1][^1].Cpu / verify[^1].Cpu:F3}");
        }

        var v = Median(verify.Select(x => x.Cpu));
        Console.WriteLine();
        Console.WriteLine("| row | CPU ms / height | wall ms / height | heights/s (wall) | CPU µs / tx / validator | ratio to verify (median of per-sample ratios) |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|");
        for (var k = 0; k < clusters.Length; k++)
        {
            var cpu = Median(rows[k].Select(x => x.Cpu));
            var wall = Median(rows[k].Select(x => x.Wall));
            var ratio = Median(rows[k].Zip(verify, (a, b) => a.Cpu / b.Cpu));
            Console.WriteLine($"| {clusters[k].Kind} | {cpu:F2} | {wall:F2} | {1000 / wall:F0} | {cpu * 1000 / txsPerBlock / Cluster.Validators:F2} | {ratio:F3} |");
        }

        Console.WriteLine($"| verify {txsPerBlock} Ed25519 signatures x {Cluster.Validators} | {v:F2} | {Median(verify.Select(x => x.Wall)):F2} | | {v * 1000 / txsPerBlock / Cluster.Validators:F2} | 1 |");
        foreach (var c in clusters) Console.WriteLine($"{c.Kind}: {c.Height} heights committed");
    }

    private static (double Cpu, double Wall) Measure(Action action, int per)
    {
        var p = Process.GetCurrentProcess();
        p.Refresh();
        var cpu0 = p.TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        action();
        sw.Stop();
        p.Refresh();
        return ((p.TotalProcessorTime - cpu0).TotalMilliseconds / per, sw.Elapsed.TotalMilliseconds / per);
    }

    private static string Fmt((double Cpu, double Wall) x) => $"{x.Cpu:F2}/{x.Wall:F2}";

    private static double Median(IEnumerable<double> xs)
    {
        var a = xs.OrderBy(x => x).ToArray();
        return a.Length % 2 == 1 ? a[a.Length / 2] : (a[a.Length / 2 - 1] + a[a.Length / 2]) / 2;
    }
}

/// <summary>The baseline: <c>count</c> distinct 100-byte messages signed by four keys; each validator verifies all.</summary>
public sealed class SignatureBaseline
{
    private readonly (Dkms.Core.Primitives.PublicKey Key, byte[] Message, byte[] Signature)[] _items;

    public SignatureBaseline(int count)
    {
        var signers = Enumerable.Range(0, 4).Select(i => Ed25519Signer.FromSeed(Enumerable.Repeat((byte)(i + 11), 32).ToArray())).ToArray();
        _items = new (Dkms.Core.Primitives.PublicKey, byte[], byte[])[count];
        for (var i = 0; i < count; i++)
        {
            var m = new byte[Cluster.TransactionSize];
            BitConverter.TryWriteBytes(m, i);
            var s = signers[i % signers.Length];
            _items[i] = (s.PublicKey, m, s.Sign(m));
        }

        if (!VerifyAll()) throw new InvalidOperationException("a baseline signature does not verify");
    }

    /// <summary>Every validator verifies every signature once: count × 4 verifications.</summary>
    public bool VerifyAll()
    {
        var ok = true;
        for (var v = 0; v < Cluster.Validators; v++)
        {
            foreach (var (key, message, signature) in _items) ok &= Ed25519.Verify(key, message, signature);
        }

        return ok;
    }
}

/// <summary>`traffic [heights]`: what one height sends and persists, per kind, in the fixed-cost cluster.</summary>
public static class TrafficRun
{
    public static void Run(int heights)
    {
        foreach (var kind in new[] { AppKind.FixedCost, AppKind.InMemory })
        {
            var c = new Cluster(kind, 1000, countTraffic: true);
            for (var i = 0; i < heights; i++) c.OneHeight();
            Console.WriteLine($"{kind}, per height over {heights} heights (messages counted once per recipient):");
            foreach (var (k, (n, b)) in c.Traffic.OrderBy(x => x.Key))
            {
                Console.WriteLine($"  {k,-14} {(double)n / heights,7:F2} messages  {(double)b / heights / 1024,9:F1} KiB");
            }

            Console.WriteLine($"  persisted      {(double)c.PersistCount / heights,7:F2} saves     {(double)c.PersistBytes / heights / 1024,9:F1} KiB");
        }
    }
}
