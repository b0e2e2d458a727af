using System.Text.Json;
using Dkms.Node.Testing;

namespace Dkms.LoadGen.Tests;

/// <summary>
/// The load generator against a testnet with a node down: it must say which node is dead, send its share of the load
/// to the others, track commits on a live node and still write a result (no crash, no NaN in the JSON).
/// </summary>
public sealed class DeadNodeTests
{
    [Fact]
    public async Task A_node_that_is_down_is_reported_dead_and_the_run_goes_on_over_the_others_without_losing_a_transaction()
    {
        await using var net = await InProcessTestnet.StartAsync(4);
        await net.StopNodeAsync(0); // node 0 — the first listed, where the tracker starts — refuses every connection
        var options = new Options
        {
            Nodes = net.RpcEndpoints,
            Genesis = net.GenesisPath,
            TestnetDir = Path.Combine(net.Directory, "no-testnet-here"), // no pid files: no CPU figures
            Rate = 40,
            Duration = 3,
            Warmup = 1,
            Grace = 30,
            Connections = 4,
            Identities = 40,
            Seed = 5,
        };

        var result = await new Runner(options).RunAsync(CancellationToken.None);

        var dead = Assert.Single(result.DeadNodes);
        Assert.Equal(net.RpcEndpoints[0].ToString(), dead.Node);
        Assert.False(string.IsNullOrEmpty(dead.Error));
        Assert.True(result.Submitted > 0, "the load went on");
        Assert.Equal(result.Submitted, result.Accepted + result.Rejected);
        Assert.Equal(0, result.Lost);
        Assert.Equal(result.Accepted, result.Committed);
        Assert.True(result.Consistency!.Same);
        Assert.Equal(3, result.Consistency.Nodes.Length); // the live ones
        Assert.All(result.NodeCpu, n => Assert.Null(n.Cores));

        var json = JsonSerializer.Serialize(result, RunResult.Json);
        Assert.DoesNotContain("NaN", json, StringComparison.Ordinal);
        Assert.Contains("\"deadNodes\"", json, StringComparison.Ordinal);
        Assert.Equal(result.DeadNodes.Length, JsonSerializer.Deserialize<RunResult>(json, RunResult.Json)!.DeadNodes.Length);
    }

    /// <summary>A run at the maximum rate with <c>--max-txs</c> (how bench/observer-catchup.sh builds a chain) ends when its
    /// transactions are committed, not at <c>--duration</c>; its window holds those commits (a max-rate run measures how
    /// fast they drain).</summary>
    [Fact]
    public async Task A_run_that_runs_out_of_transactions_before_its_duration_ends_when_they_are_committed()
    {
        await using var net = await InProcessTestnet.StartAsync(4);
        var options = new Options
        {
            Nodes = net.RpcEndpoints,
            Genesis = net.GenesisPath,
            TestnetDir = Path.Combine(net.Directory, "no-testnet-here"),
            Rate = null,
            MaxTxs = 200,
            Duration = 3600,
            Warmup = 0,
            Grace = 30,
            Connections = 4,
            Identities = 40,
            Seed = 7,
        };
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));

        var result = await new Runner(options).RunAsync(cts.Token);

        Assert.False(cts.IsCancellationRequested, "the run waited for its duration");
        Assert.Equal(200, result.Submitted);
        Assert.Equal(result.Accepted, result.Committed);
        Assert.Equal(0, result.Lost);
        Assert.True(result.OfferedRate > 200 / 120.0, $"offered {result.OfferedRate} tx/s: divided by the duration asked, not the seconds it ran");
        Assert.Equal(result.Committed, result.CommittedInWindow); // the window lasted until the last of them committed
    }

    [Fact]
    public async Task With_no_node_answering_the_run_stops_with_an_error_naming_the_addresses_instead_of_a_crash()
    {
        using var closed = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        closed.Start();
        var port = ((System.Net.IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop(); // a port nothing listens on: every connection is refused
        var dir = Directory.CreateTempSubdirectory("dkms-loadgen-none-");
        try
        {
            var genesis = Path.Combine(dir.FullName, "genesis.json");
            await using (var net = await InProcessTestnet.StartAsync(1)) File.Copy(net.GenesisPath, genesis);
            var nodes = new[] { new Uri($"http://127.0.0.1:{port}/"), new Uri($"http://127.0.0.1:{port}/x/") };
            var options = new Options { Nodes = nodes, Genesis = genesis, TestnetDir = dir.FullName, Rate = 10, Duration = 1, Identities = 10, Seed = 1 };

            var e = await Assert.ThrowsAsync<NoNodeAnsweredException>(() => new Runner(options).RunAsync(CancellationToken.None));

            Assert.Equal(nodes, e.Nodes);
            Assert.Contains($"127.0.0.1:{port}", e.Message);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
