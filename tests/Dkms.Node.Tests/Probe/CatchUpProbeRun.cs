using System.Diagnostics;
using Dkms.Client;
using Dkms.Consensus;
using Dkms.Node.Testing;
using Dkms.Node.Tests.Support;
using Dkms.Rpc;
using Xunit.Abstractions;

namespace Dkms.Node.Tests.Probe;

// TEMPORARY: measures where an observer's catch-up time per block goes (not to be committed).
public sealed class CatchUpProbeRun(ITestOutputHelper output)
{
    [Fact]
    [Trait("Category", "Soak")]
    public async Task Probe()
    {
        var blocks = int.Parse(Environment.GetEnvironmentVariable("PROBE_BLOCKS") ?? "200");
        await using var net = await InProcessTestnet.StartAsync(4, transport: TestnetTransport.LiteNetLib);
        var top = 0UL;
        var sw = Stopwatch.StartNew();
        var i = 0;
        while (top < (ulong)blocks)
        {
            using var client = new DkmsRpcClient(net.RpcEndpoints[i % 4]);
            var who = new TestIdentity($"p{i}", new TransactionBuilder(InProcessTestnet.ChainId));
            var r = await client.SubmitAsync(who.Incept(), SubmitModes.Commit, 30_000);
            top = r.Height!.Value;
            i++;
        }
        output.WriteLine($"chain of {top} blocks built in {sw.Elapsed.TotalSeconds:F1}s");
        await Task.Delay(1000);
        top = net.Node(0).Ledger.Height;
        CatchUpProbe.On = true;
        var observer = net.AddObserver(0, 1);
        var start = Stopwatch.GetTimestamp();
        await net.StartNodeAsync(observer);
        var started = Stopwatch.GetTimestamp();
        while (net.Node(observer).Ledger.Height < top) await Task.Delay(5);
        var end = Stopwatch.GetTimestamp();
        CatchUpProbe.On = false;
        output.WriteLine($"observer caught up {top} blocks: start {Stopwatch.GetElapsedTime(start, started).TotalMilliseconds:F0} ms, catch-up {Stopwatch.GetElapsedTime(started, end).TotalSeconds:F2}s = {top / Stopwatch.GetElapsedTime(started, end).TotalSeconds:F1} blocks/s");
        var marks = CatchUpProbe.Marks.ToArray();
        var lines = marks.Select(m => $"{Stopwatch.GetElapsedTime(start, m.Ticks).TotalMilliseconds:F3} {m.Tag} {m.Height}");
        File.WriteAllLines(Environment.GetEnvironmentVariable("PROBE_OUT") ?? "/tmp/catchup-probe.txt", lines);
    }
}
