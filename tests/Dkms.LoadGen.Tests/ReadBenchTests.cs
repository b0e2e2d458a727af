using Dkms.Node.Testing;

namespace Dkms.LoadGen.Tests;

/// <summary>The read benchmark against an in-process chain: every answer counted is one that verified.</summary>
public sealed class ReadBenchTests
{
    /// <summary>Short reads of 20 identities of its own against the testnet's nodes.</summary>
    private static ReadOptions Reads(InProcessTestnet net, string kind, int concurrency, int seed) => new()
    {
        Nodes = net.RpcEndpoints,
        Genesis = net.GenesisPath,
        Kind = kind,
        Identities = 20,
        Duration = 1,
        Warmup = 0.2,
        Concurrency = concurrency,
        Seed = seed,
    };

    [Theory]
    [InlineData("resolve")]
    [InlineData("did")]
    public async Task Reads_of_its_own_committed_identities_all_answer_and_resolves_verify_against_the_genesis(string kind)
    {
        await using var net = await InProcessTestnet.StartAsync(1);
        var options = Reads(net, kind, concurrency: 4, seed: 3);

        var result = await new ReadBench(options).RunAsync(CancellationToken.None);

        Assert.True(result.Answers > 0, result.Summary());
        Assert.Equal(0, result.Failures);
        Assert.Null(result.FirstFailure);
        Assert.Equal(result.Answers, result.Latency.Count);
        if (kind == "resolve") Assert.True(result.VerifyMicrosPerAnswer > 0, "each resolve answer was verified");
        Assert.Equal(kind == "resolve" ? result.Answers : 0, result.Verified);
    }

    [Fact]
    public async Task Sampled_verification_verifies_one_answer_in_n_and_still_counts_only_answers_with_a_proof()
    {
        await using var net = await InProcessTestnet.StartAsync(1);
        var options = Reads(net, "resolve", concurrency: 2, seed: 4) with { VerifyEvery = 5 };

        var result = await new ReadBench(options).RunAsync(CancellationToken.None);

        Assert.Equal(0, result.Failures);
        Assert.True(result.Answers >= 10, result.Summary());
        // Each worker verifies its requests 0, 5, 10, …: in the window, at most one in five of its answers plus one.
        Assert.InRange(result.Verified, 1, result.Answers / 5 + options.Concurrency);
        Assert.True(result.VerifyMicrosPerAnswer > 0);
    }

    /// <summary>Batched resolves: each call of a JSON-RPC batch is answered, matched by id and verified like a single one;
    /// the node's CPU is reported when its pid is given (here the test's own process, where the node runs).</summary>
    [Fact]
    public async Task Batched_resolves_are_each_answered_and_verified_and_the_node_cpu_is_counted_per_answer()
    {
        await using var net = await InProcessTestnet.StartAsync(1);
        var options = Reads(net, "resolve", concurrency: 2, seed: 5) with { Batch = 8, Pids = [Environment.ProcessId] };

        var result = await new ReadBench(options).RunAsync(CancellationToken.None);

        Assert.Equal(0, result.Failures);
        Assert.Equal(8, result.Batch);
        Assert.True(result.Answers >= 16, result.Summary());
        Assert.Equal(0, result.Answers % 8); // whole batches: every call of each was answered
        Assert.Equal(result.Answers, result.Verified);
        Assert.True(result.NodeCores > 0 && result.NodeMicrosPerAnswer > 0, result.Summary());
    }
}
