using Dkms.Node.Testing;

namespace Dkms.LoadGen.Tests;

/// <summary>The read benchmark against an in-process chain: every answer counted is one that verified.</summary>
public sealed class ReadBenchTests
{
    [Theory]
    [InlineData("resolve")]
    [InlineData("did")]
    public async Task Reads_of_its_own_committed_identities_all_answer_and_resolves_verify_against_the_genesis(string kind)
    {
        await using var net = await InProcessTestnet.StartAsync(1);
        var options = new ReadOptions
        {
            Nodes = net.RpcEndpoints,
            Genesis = net.GenesisPath,
            Kind = kind,
            Identities = 20,
            Duration = 1,
            Warmup = 0.2,
            Concurrency = 4,
            Seed = 3,
        };

        var result = await new ReadBench(options).RunAsync(CancellationToken.None);

        Assert.True(result.Answers > 0, result.Summary());
        Assert.Equal(0, result.Failures);
        Assert.Null(result.FirstFailure);
        Assert.Equal(result.Answers, result.Latency.Count);
        if (kind == "resolve") Assert.True(result.VerifyMicrosPerAnswer > 0, "each resolve answer was verified");
    }
}
