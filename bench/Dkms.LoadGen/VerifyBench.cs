using System.Diagnostics;
using Dkms.Core.Crypto;

namespace Dkms.LoadGen;

/// <summary>
/// Ed25519 verifications per second on one core and on all cores (one thread per core, each verifying
/// on its own), through <see cref="Ed25519.Verify"/> as the node calls it (key import included).
/// </summary>
public static class VerifyBench
{
    public static VerifyBenchResult Run(double seconds, int validators)
    {
        using var signer = Ed25519Signer.FromSeed(new byte[32]);
        var message = new byte[220];
        Random.Shared.NextBytes(message);
        var signature = signer.Sign(message);
        var key = signer.PublicKey;
        if (!Ed25519.Verify(key, message, signature)) throw new InvalidOperationException("verify bench: signature does not verify");

        long Loop(double s)
        {
            var sw = Stopwatch.StartNew();
            long n = 0;
            while (sw.Elapsed.TotalSeconds < s)
            {
                for (var k = 0; k < 100; k++) Ed25519.Verify(key, message, signature);
                n += 100;
            }

            return n;
        }

        Loop(0.3); // warm up
        var one = Loop(seconds) / seconds;
        var threads = Environment.ProcessorCount;
        var counts = new long[threads];
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() => counts[t] = Loop(seconds)) { IsBackground = true }).ToArray();
        foreach (var w in workers) w.Start();
        foreach (var w in workers) w.Join();
        var all = counts.Sum() / seconds;
        return new VerifyBenchResult(seconds, Math.Round(one), threads, Math.Round(all), Math.Round(all / validators));
    }
}
