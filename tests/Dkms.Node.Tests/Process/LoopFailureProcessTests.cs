using Dkms.Client;
using Dkms.Node.Tests.Support;
using Dkms.Rpc;
using Xunit.Abstractions;

namespace Dkms.Node.Tests.Process;

/// <summary>
/// Issue 18 item 4 at the process level: when a background loop of a running <c>dkms-node</c> fails, the process exits
/// non-zero with a message naming the loop instead of running half-alive. The fault is a real one, from outside: the
/// node runs with a file-size limit (<c>ulimit -f</c>, SIGXFSZ ignored so a write past it fails with EFBIG), and a
/// stream of submissions grows its stores' write-ahead logs past it. Which loop meets the limit first (the pending
/// journal's writer or the consensus loop's block write) does not matter; that one must be named.
/// </summary>
public sealed class LoopFailureProcessTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task A_node_whose_loop_fails_on_its_disk_exits_non_zero_naming_the_loop()
    {
        using var net = new ProcessTestnet(1);
        net.Start(0, shellPrefix: "export DOTNET_EnableWriteXorExecute=0; trap '' XFSZ; ulimit -f 512");
        using var client = new DkmsRpcClient(net.RpcEndpoints[0]);
        var builder = new TransactionBuilder(ProcessTestnet.ChainId);
        var deadline = DateTime.UtcNow + Patience;
        var batch = 0;
        while (net.WaitForExit(0, TimeSpan.Zero) is null && DateTime.UtcNow < deadline)
        {
            var txs = Enumerable.Range(0, 200).Select(k => new TestIdentity($"fill-{batch}-{k}", builder).Incept().Encoded).ToArray();
            batch++;
            try
            {
                await client.SubmitBatchAsync(txs, SubmitModes.Async);
            }
            catch (Exception e) when (e is RpcException or HttpRequestException or TaskCanceledException)
            {
                // Refusals and a node going down are expected here; only its exit counts.
                await Task.Delay(100);
            }
        }

        var code = net.WaitForExit(0, TimeSpan.FromSeconds(30));
        var log = net.Log(0);
        output.WriteLine($"exit {code} after {batch} batches\n{log}");
        Assert.True(code == 3, $"expected exit 3 (a loop failed), got {code?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none (still running)"}");
        Assert.Matches("dkms-node: the (pending-journal|consensus) loop failed", log);
    }
}
