using Dkms.Client;
using Dkms.Core.Primitives;
using Dkms.Core.Transactions;
using Dkms.Node.Tests.Support;
using Dkms.Rpc;
using Xunit.Abstractions;

namespace Dkms.Node.Tests.Process;

/// <summary>
/// The durability promise against real processes: under load (async submissions from several identities, each one's
/// sequences chained), every validator is killed with SIGKILL at seeded random moments, round after round, and
/// restarted. At the end every transaction a node answered "pending" is committed or has a definite rejection code on
/// that node — none is "unknown" (lost).
/// </summary>
public sealed class KillAllUnderLoadTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    [Fact]
    public Task No_acknowledged_transaction_is_lost_when_every_validator_is_killed_under_load() => RunAsync(rounds: 2, seed: 17);

    [SoakFact]
    [Trait("Category", "Soak")]
    public Task No_acknowledged_transaction_is_lost_over_many_kill_rounds() => RunAsync(rounds: 8, seed: 4711);

    private async Task RunAsync(int rounds, int seed)
    {
        using var net = new ProcessTestnet(4);
        for (var i = 0; i < 4; i++) net.Start(i);
        var clients = net.RpcEndpoints.Select(u => new DkmsRpcClient(u, TimeSpan.FromSeconds(3))).ToArray();
        try
        {
            await ProcessTestnetTests.WaitForPeersAsync(clients, 3, net);
            var random = new Random(seed);
            var load = new ChainedLoad(clients, identities: 10);
            using var stop = new CancellationTokenSource();
            var running = load.RunAsync(stop.Token);
            for (var round = 0; round < rounds; round++)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(1_500 + random.Next(2_500)));
                // Each validator at its own moment within a second: some die mid-block, some mid-request.
                foreach (var i in Enumerable.Range(0, 4).OrderBy(_ => random.Next()))
                {
                    await Task.Delay(random.Next(400));
                    net.Kill(i);
                }

                await Task.Delay(random.Next(500));
                for (var i = 0; i < 4; i++) net.Start(i);
                await ProcessTestnetTests.WaitForPeersAsync(clients, 3, net);
            }

            await Task.Delay(2_000);
            await stop.CancelAsync();
            await running;

            Assert.NotEmpty(load.Acknowledged);
            var final = await SettleAsync(clients, load.Acknowledged);
            var unknown = final.Count(s => s.Status.Status == TxStatuses.Unknown);
            var pending = final.Count(s => s.Status.Status == TxStatuses.Pending);
            var committed = final.Count(s => s.Status.Status == TxStatuses.Committed);
            output.WriteLine($"{rounds} rounds: {load.Acknowledged.Count} acknowledged, {committed} committed, "
                + $"{final.Count(s => s.Status.Status == TxStatuses.Rejected)} rejected ("
                + string.Join(", ", final.Where(s => s.Status.Status == TxStatuses.Rejected).GroupBy(s => s.Status.Code).Select(g => $"{g.Key} {g.Count()}"))
                + $"), {unknown} unknown, {pending} pending");
            Assert.True(unknown == 0 && pending == 0,
                $"{load.Acknowledged.Count} acknowledged: {committed} committed, {unknown} unknown, {pending} still pending, "
                + $"{final.Count(s => s.Status.Status == TxStatuses.Rejected)} rejected; first lost: "
                + string.Join(", ", final.Where(s => s.Status.Status is TxStatuses.Unknown or TxStatuses.Pending).Take(5).Select(s => $"{s.Status.Hash} via node{s.Node}")));
            Assert.All(final.Where(s => s.Status.Status == TxStatuses.Rejected), s => Assert.False(string.IsNullOrEmpty(s.Status.Code)));
            Assert.True(committed > 0);
        }
        finally
        {
            foreach (var c in clients) c.Dispose();
        }
    }

    /// <summary>Waits until no acknowledged transaction is pending or unknown at the node that acknowledged it (a
    /// rejection is recorded there), or the patience runs out; the last statuses.</summary>
    private static async Task<List<(int Node, TxStatusResult Status)>> SettleAsync(DkmsRpcClient[] clients, IReadOnlyList<(int Node, Hash32 Hash)> acked)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            var statuses = new List<(int, TxStatusResult)>(acked.Count);
            foreach (var (node, hash) in acked) statuses.Add((node, await StatusAsync(clients[node], hash)));
            if (statuses.All(s => s.Item2.Status is TxStatuses.Committed or TxStatuses.Rejected) || DateTime.UtcNow > deadline) return statuses;
            await Task.Delay(500);
        }
    }

    private static async Task<TxStatusResult> StatusAsync(DkmsRpcClient client, Hash32 hash)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await client.StatusAsync(hash);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or RpcException && attempt < 50)
            {
                await Task.Delay(200);
            }
        }
    }

    /// <summary>About 100 transactions a second, async: every 100 ms each identity submits its next transaction (the
    /// next sequence once the previous one was answered "pending"; the same one again after an error or "mempool full")
    /// to the node it is bound to.</summary>
    private sealed class ChainedLoad(DkmsRpcClient[] clients, int identities)
    {
        private readonly TestIdentity[] _ids = [.. Enumerable.Range(0, identities)
            .Select(i => new TestIdentity($"kill-all/{i}", new TransactionBuilder(ProcessTestnet.ChainId)))];
        private readonly Transaction?[] _next = new Transaction?[identities];

        public List<(int Node, Hash32 Hash)> Acknowledged { get; } = [];

        public async Task RunAsync(CancellationToken ct)
        {
            using var tick = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
            try
            {
                while (await tick.WaitForNextTickAsync(ct))
                {
                    for (var k = 0; k < _ids.Length; k++) _next[k] ??= NextOf(k);
                    await Task.WhenAll(Enumerable.Range(0, clients.Length).Select(SubmitAsync));
                }
            }
            catch (OperationCanceledException)
            {
            }
        }

        // Rotations: unlimited in number (key-agreement keys are capped per identity).
        private Transaction NextOf(int k) => _ids[k].Sequence == 0 ? _ids[k].Incept() : _ids[k].Rotate();

        private async Task SubmitAsync(int node)
        {
            var mine = Enumerable.Range(0, _ids.Length).Where(k => k % clients.Length == node).ToArray();
            SubmitResult[] answers;
            try
            {
                answers = await clients[node].SubmitBatchAsync(mine.Select(k => _next[k]!.Encoded), SubmitModes.Async);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or RpcException)
            {
                return; // the node is down or stopping: the same transactions again next tick
            }

            for (var j = 0; j < mine.Length; j++)
            {
                var k = mine[j];
                var answer = answers[j];
                if (answer.Status == TxStatuses.Pending)
                {
                    lock (Acknowledged) Acknowledged.Add((node, _next[k]!.Hash));
                    _next[k] = null;
                }
                else if (answer.Code == nameof(ErrorCode.Duplicate))
                {
                    _next[k] = null; // committed already (an earlier attempt got in without its answer reaching us)
                }
            }
        }
    }
}
