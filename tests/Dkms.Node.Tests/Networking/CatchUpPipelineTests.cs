using Dkms.Client;
using Dkms.Node.Testing;
using Dkms.Node.Tests.Support;
using Dkms.Rpc;

namespace Dkms.Node.Tests.Networking;

/// <summary>
/// Catch-up with several blocks in flight, end to end (docs/consensus.md, "Catch-up"): an observer started after the
/// chain has many heights, and a validator that was down while they were committed, each catch up by holding blocks
/// fetched ahead, and end with the validators' state root and blocks.
/// </summary>
public sealed class CatchUpPipelineTests
{
    private const int Heights = 30;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);

    /// <summary>Commits one transaction per block through the running validators until the chain has <see cref="Heights"/> heights.</summary>
    private static async Task<ulong> BuildChainAsync(InProcessTestnet net, params int[] via)
    {
        var top = 0UL;
        for (var i = 0; top < Heights; i++)
        {
            using var client = new DkmsRpcClient(net.RpcEndpoints[via[i % via.Length]]);
            var who = new TestIdentity($"chain{i}", new TransactionBuilder(InProcessTestnet.ChainId));
            var r = await client.SubmitAsync(who.Incept(), SubmitModes.Commit, 30_000);
            Assert.Equal(TxStatuses.Committed, r.Status);
            top = r.Height!.Value;
        }

        return top;
    }

    private static void SameChain(InProcessTestnet net, int node, ulong top)
    {
        Assert.Equal(net.Node(0).Ledger.GetHeight(top)!.StateRoot, net.Node(node).Ledger.GetHeight(top)!.StateRoot);
        for (var h = 1UL; h <= top; h++)
        {
            Assert.True(net.Node(node).Application.TryGetCommitted(h, out var mine, out _));
            Assert.True(net.Node(0).Application.TryGetCommitted(h, out var theirs, out _));
            Assert.Equal(theirs.Hash, mine.Hash);
        }
    }

    [Fact]
    public async Task An_observer_catches_up_a_chain_with_blocks_fetched_ahead()
    {
        await using var net = await InProcessTestnet.StartAsync(4, transport: TestnetTransport.LiteNetLib);
        var top = await BuildChainAsync(net, 0, 1, 2, 3);

        var observer = net.AddObserver(0, 1);
        await net.StartNodeAsync(observer);
        Assert.True(await Eventually.TrueAsync(() => net.Node(observer).Ledger.Height >= top, Deadline), $"the observer stayed at height {net.Node(observer).Ledger.Height}, the chain is at {top}");

        SameChain(net, observer, top);
        var ahead = net.Node(observer).ConsensusEngine.Machine.BlocksFetchedAhead;
        Assert.True(ahead > 0, "no block was fetched ahead");
        Assert.False(net.Node(observer).IsValidator);

        // An operator sees it in the metrics: the counter of blocks fetched ahead, and the held blocks' gauges.
        using var http = new HttpClient();
        var metrics = await http.GetStringAsync(new Uri(net.RpcEndpoints[observer], "metrics"));
        var line = metrics.Split('\n').Single(l => l.StartsWith("dkms_catchup_blocks_fetched_ahead_total ", StringComparison.Ordinal));
        Assert.True(double.Parse(line.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture) > 0, line);
        Assert.Contains("\ndkms_catchup_held_blocks ", metrics, StringComparison.Ordinal);
        Assert.Contains("\ndkms_catchup_held_bytes ", metrics, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(TestnetTransport.InMemory)]
    [InlineData(TestnetTransport.LiteNetLib)]
    public async Task A_validator_that_was_down_catches_up_with_blocks_fetched_ahead_and_signs_again(TestnetTransport transport)
    {
        await using var net = await InProcessTestnet.StartAsync(4, transport: transport);
        await net.StopNodeAsync(3);
        var top = await BuildChainAsync(net, 0, 1, 2);

        await net.StartNodeAsync(3);
        Assert.True(await Eventually.TrueAsync(() => net.Node(3).Ledger.Height >= top, Deadline), $"node 3 stayed at height {net.Node(3).Ledger.Height}, the chain is at {top}");
        SameChain(net, 3, top);
        Assert.True(net.Node(3).ConsensusEngine.Machine.BlocksFetchedAhead > 0, "no block was fetched ahead");

        // It takes part again: with node 0 stopped, the chain commits only with node 3's votes.
        await net.StopNodeAsync(0);
        using var client = new DkmsRpcClient(net.RpcEndpoints[1]);
        var r = await client.SubmitAsync(new TestIdentity("after", new TransactionBuilder(InProcessTestnet.ChainId)).Incept(), SubmitModes.Commit, 60_000);
        Assert.Equal(TxStatuses.Committed, r.Status);
        Assert.True(net.Node(1).Application.TryGetCommitted(r.Height!.Value, out _, out var certificate));
        Assert.Contains(certificate.Signatures, s => s.Validator == net.KeyOf(3));
    }
}
