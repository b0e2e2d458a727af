using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dkms.Client;
using Dkms.Core.Genesis;
using Dkms.Core.Primitives;
using Dkms.Rpc;

namespace Dkms.LoadGen;

public sealed record ReadOptions
{
    public Uri[] Nodes { get; init; } = [];

    /// <summary>Where the readers' identities are submitted (null: the first of <see cref="Nodes"/>); an observer takes no
    /// transactions, so a series against observers names a validator here.</summary>
    public Uri? WriteNode { get; init; }
    public string Genesis { get; init; } = "genesis/genesis.json";

    /// <summary>What is read: <c>resolve</c> (<c>identity.resolve</c> with proof, verified here against the genesis
    /// validators) or <c>did</c> (<c>GET /1.0/identifiers/{did}</c>, parsed).</summary>
    public string Kind { get; init; } = "resolve";
    public int Identities { get; init; } = 1_000;
    public double Duration { get; init; } = 20;
    public double Warmup { get; init; } = 3;

    /// <summary>Requests in flight at once, spread over the nodes.</summary>
    public int Concurrency { get; init; } = 32;
    public int Seed { get; init; } = 1;

    /// <summary>Verify one answer in this many (1: every answer). On a machine where the readers share the cores with the
    /// node, verifying every answer can cost the client more than the node's work; sampling measures the node, while the
    /// answers verified still give the client's cost per answer.</summary>
    public int VerifyEvery { get; init; } = 1;

    /// <summary>Resolves per HTTP request (<c>resolve</c> only): 1 sends one call per request; more sends a JSON-RPC batch
    /// of that many calls, each answer matched to its call by id and checked like a single one.</summary>
    public int Batch { get; init; } = 1;

    /// <summary>Pids of the nodes read from, when they run on this machine: their CPU over the measured window.</summary>
    public int[]? Pids { get; init; }
    public string? Out { get; init; }
    public string? Label { get; init; }
}

public sealed record ReadResult
{
    public string Label { get; init; } = "";
    public string Kind { get; init; } = "";
    public string[] Nodes { get; init; } = [];
    public int Concurrency { get; init; }
    public double Seconds { get; init; }
    public long Answers { get; init; }
    public double AnswersPerSecond { get; init; }
    public long Failures { get; init; }
    public string? FirstFailure { get; init; }
    public LatencyMs Latency { get; init; } = new(0, 0, 0, 0, 0, 0);

    /// <summary>Client-side verification (proof and certificate) per answer, microseconds of one thread.</summary>
    public double VerifyMicrosPerAnswer { get; init; }

    /// <summary>Resolves per HTTP request (a JSON-RPC batch when more than 1).</summary>
    public int Batch { get; init; } = 1;

    /// <summary>One answer in this many was verified; <see cref="Verified"/> how many were.</summary>
    public int VerifyEvery { get; init; } = 1;
    public long Verified { get; init; }

    /// <summary>CPU this process used over the measured window, cores.</summary>
    public double ClientCores { get; init; }

    /// <summary>CPU the nodes read from used over the measured window, cores (with <c>--pids</c>; 0 otherwise), and per
    /// answer, microseconds: 1e6 / it is what one node core serves while the readers run elsewhere.</summary>
    public double NodeCores { get; init; }
    public double NodeMicrosPerAnswer { get; init; }

    public string Summary() => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"{Label}: {Kind} {AnswersPerSecond:F0} answers/s over {Seconds:F0} s ({Answers} answers, {Failures} failed), p50 {Latency.P50} ms p99 {Latency.P99} ms, verify {VerifyMicrosPerAnswer:F0} µs/answer ({Verified} verified, 1 in {VerifyEvery}), client {ClientCores:F2} cores{(NodeCores > 0 ? $", node {NodeCores:F2} cores ({NodeMicrosPerAnswer:F0} µs/answer)" : "")}, {Concurrency} in flight{(Batch > 1 ? $" (batches of {Batch})" : "")} to {Nodes.Length} node(s)");
}

/// <summary>
/// Read capacity: many concurrent readers ask the nodes for identities (with proofs) for a while and verify every
/// answer as a client must — against the validator set in force (followed from the genesis through the certified
/// changes before the run), bound to the question asked. Its own identities
/// are incepted first (committed), so it runs against any chain of the genesis, alone or next to a write run.
/// </summary>
public sealed class ReadBench(ReadOptions o)
{
    private async Task WaitForHeightAsync(ulong height, CancellationToken ct)
    {
        foreach (var node in o.Nodes)
        {
            using var reader = new DkmsRpcClient(node, TimeSpan.FromSeconds(10));
            var deadline = Stopwatch.GetTimestamp() + 120 * Stopwatch.Frequency;
            ulong at;
            while ((at = (await reader.NodeStatusAsync(ct).ConfigureAwait(false)).Height) < height)
            {
                if (Stopwatch.GetTimestamp() > deadline) throw new InvalidOperationException($"{node} is at height {at}, not {height}, after 120 s");
                await Task.Delay(200, ct).ConfigureAwait(false);
            }
        }
    }

    public async Task<ReadResult> RunAsync(CancellationToken ct)
    {
        var genesis = GenesisDocument.Load(o.Genesis);
        var chain = TrustedChain.FromGenesis(genesis);
        var (_, setup, ids) = new Workload(genesis.ChainId, $"reads-{o.Seed}").Inceptions(o.Identities);
        Log($"chain {genesis.ChainId}: committing {ids.Length} identities to read");
        using (var writer = new DkmsRpcClient(o.WriteNode ?? o.Nodes[0], TimeSpan.FromMinutes(2)))
        {
            foreach (var chunk in setup.Chunk(250))
            {
                // Committed (or already there from an earlier run with this seed: refused as a duplicate).
                await writer.SubmitBatchAsync(chunk.Select(e => Convert.FromBase64String(e.Base64)), SubmitModes.Commit, 60_000, ct).ConfigureAwait(false);
            }

            // Answers are verified against the set in force now, reached from the genesis through the certified changes.
            chain = await FollowValidatorSetAsync(writer, chain, ct).ConfigureAwait(false);
            // The nodes read from (observers among them) hold the identities once they reach the writer's height.
            await WaitForHeightAsync((await writer.NodeStatusAsync(ct).ConfigureAwait(false)).Height, ct).ConfigureAwait(false);
        }

        var clients = o.Nodes.Select(n => new HttpClient { BaseAddress = n, Timeout = TimeSpan.FromSeconds(30) }).ToArray();
        try
        {
            var start = Stopwatch.GetTimestamp();
            var measureFrom = start + (long)(o.Warmup * Stopwatch.Frequency);
            var end = measureFrom + (long)(o.Duration * Stopwatch.Frequency);
            var cpuFrom = 0.0;
            var nodeCpuFrom = 0.0;
            var cpuTask = Task.Run(async () =>
            {
                await Task.Delay(TimeSpan.FromSeconds(o.Warmup), ct).ConfigureAwait(false);
                cpuFrom = Cpu.SelfSeconds();
                nodeCpuFrom = NodeSeconds();
            }, ct);
            var workers = Enumerable.Range(0, o.Concurrency)
                .Select(w => Task.Run(() => WorkerAsync(clients[w % clients.Length], chain, ids, new Random(o.Seed * 7919 + w), measureFrom, end, ct), ct))
                .ToArray();
            var done = await Task.WhenAll(workers).ConfigureAwait(false);
            await cpuTask.ConfigureAwait(false);
            var cpu = Cpu.SelfSeconds() - cpuFrom;
            var nodeCpu = NodeSeconds() - nodeCpuFrom;
            var latencies = done.SelectMany(d => d.Latencies).Order().ToArray();
            var answers = done.Sum(d => d.Latencies.Count);
            var verifyTicks = done.Sum(d => d.VerifyTicks);
            var verified = done.Sum(d => d.Verified);
            return new ReadResult
            {
                Label = o.Label ?? $"reads-{o.Kind}-{o.Concurrency}",
                Kind = o.Kind,
                Nodes = [.. o.Nodes.Select(n => n.ToString())],
                Concurrency = o.Concurrency,
                Seconds = o.Duration,
                Answers = answers,
                AnswersPerSecond = Math.Round(answers / o.Duration, 1),
                Failures = done.Sum(d => d.Failures),
                FirstFailure = done.Select(d => d.FirstFailure).FirstOrDefault(f => f is not null),
                Latency = Runner.Percentiles(latencies),
                VerifyMicrosPerAnswer = verified == 0 ? 0 : Math.Round(verifyTicks * 1e6 / Stopwatch.Frequency / verified, 1),
                VerifyEvery = o.VerifyEvery,
                Batch = o.Batch,
                Verified = verified,
                ClientCores = Math.Round(cpu / o.Duration, 2),
                NodeCores = Math.Round(nodeCpu / o.Duration, 2),
                NodeMicrosPerAnswer = answers == 0 ? 0 : Math.Round(nodeCpu * 1e6 / answers, 1),
            };
        }
        finally
        {
            foreach (var c in clients) c.Dispose();
        }
    }

    /// <summary>CPU seconds of the nodes named by <c>--pids</c> (0 without; a node that exited counts 0).</summary>
    private double NodeSeconds() => o.Pids is { } pids ? pids.Sum(p => Cpu.ProcessSeconds(p) ?? 0) : 0;

    private static async Task<TrustedChain> FollowValidatorSetAsync(DkmsRpcClient client, TrustedChain chain, CancellationToken ct)
    {
        try
        {
            var (followed, _) = await ValidatorHistory.FollowAsync(client, chain, SkippingRule.Default, ct).ConfigureAwait(false);
            if (followed.Sets.Length > 1) Log($"following the validator set: now at change {followed.Latest.Sequence}, in force from height {followed.Latest.FromHeight}");
            return followed;
        }
        catch (RpcException e) when (e.Code == RpcErrorCodes.MethodNotFound)
        {
            Log("the node lists no validator-set changes (an older build): verifying against the genesis set");
            return chain;
        }
    }

    private sealed record WorkerResult(List<double> Latencies, long VerifyTicks, long Verified, long Failures, string? FirstFailure);

    private async Task<WorkerResult> WorkerAsync(HttpClient http, TrustedChain chain, IdentityId[] ids, Random random, long measureFrom, long end, CancellationToken ct)
    {
        using var client = new DkmsRpcClient(http);
        var latencies = new List<double>();
        long verifyTicks = 0, verifiedCount = 0, failures = 0, sequence = 0;
        string? firstFailure = null;
        var asked = new IdentityId[o.Kind == "did" ? 1 : o.Batch];
        var outcomes = new (string? Failure, long VerifyTicks, bool Checked)[asked.Length];
        while (true)
        {
            var sent = Stopwatch.GetTimestamp();
            if (sent >= end) break;
            for (var k = 0; k < asked.Length; k++) asked[k] = ids[random.Next(ids.Length)];
            try
            {
                if (o.Kind == "did")
                {
                    using var response = await http.GetAsync($"1.0/identifiers/{asked[0]}", ct).ConfigureAwait(false);
                    var body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
                    using var doc = await JsonDocument.ParseAsync(body, cancellationToken: ct).ConfigureAwait(false);
                    outcomes[0] = (response.IsSuccessStatusCode && doc.RootElement.TryGetProperty("didDocument", out _) ? null : $"HTTP {(int)response.StatusCode}", 0, false);
                }
                else if (asked.Length == 1)
                {
                    var answer = await client.ResolveAsync(asked[0], null, proof: true, ct).ConfigureAwait(false);
                    outcomes[0] = Check(answer, asked[0], chain, sequence++ % o.VerifyEvery == 0);
                }
                else
                {
                    var answers = await ResolveBatchAsync(http, asked, ct).ConfigureAwait(false);
                    for (var k = 0; k < asked.Length; k++)
                    {
                        outcomes[k] = answers[k] is { } answer
                            ? Check(answer, asked[k], chain, sequence++ % o.VerifyEvery == 0)
                            : ("a batch without an answer to one of its calls", 0, false);
                    }
                }
            }
            catch (Exception e) when (e is HttpRequestException or RpcException or JsonException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                Array.Fill(outcomes, (e.Message, 0, false));
            }

            if (sent < measureFrom) continue;
            var latency = (Stopwatch.GetTimestamp() - sent) * 1000.0 / Stopwatch.Frequency;
            foreach (var (failure, verify, check) in outcomes)
            {
                if (failure is null)
                {
                    latencies.Add(latency);
                    verifyTicks += verify;
                    if (check) verifiedCount++;
                }
                else
                {
                    failures++;
                    firstFailure ??= failure;
                }
            }
        }

        return new WorkerResult(latencies, verifyTicks, verifiedCount, failures, firstFailure);
    }

    /// <summary>A resolve answer as a client takes it: verified (proof, certificate against the set in force, bound to the
    /// identity asked) when <paramref name="check"/>, otherwise at least an answer with a proof for the identity asked.</summary>
    private static (string? Failure, long VerifyTicks, bool Checked) Check(ResolveResult answer, IdentityId id, TrustedChain chain, bool check)
    {
        if (!check)
        {
            return (answer.Proof is not null && answer.Identity?.Id == id.ToString() ? null : "an answer without a proof or for another identity", 0, false);
        }

        var v0 = Stopwatch.GetTimestamp();
        var verified = ProofVerifier.VerifyIdentity(answer, new IdentityQuery(id, null), chain, Freshness.Default);
        var ticks = Stopwatch.GetTimestamp() - v0;
        return (verified.IsValid && verified.Value is not null ? null : $"{verified.Failure}: {verified.Error}", ticks, true);
    }

    /// <summary>One JSON-RPC batch of <c>identity.resolve</c> calls with proofs; answers matched to calls by id (a batch's
    /// answers may come in any order), null where a call got none or an error.</summary>
    private static async Task<ResolveResult?[]> ResolveBatchAsync(HttpClient http, IdentityId[] asked, CancellationToken ct)
    {
        var request = new JsonArray();
        for (var k = 0; k < asked.Length; k++)
        {
            request.Add(new JsonObject
            {
                ["jsonrpc"] = "2.0",
                ["id"] = k,
                ["method"] = RpcMethods.Resolve,
                ["params"] = JsonSerializer.SerializeToNode(new ResolveParams(asked[k].ToString(), null, true), RpcJson.Options),
            });
        }

        using var response = await http.PostAsJsonAsync("", request, RpcJson.Options, ct).ConfigureAwait(false);
        var body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        using var doc = await JsonDocument.ParseAsync(body, cancellationToken: ct).ConfigureAwait(false);
        var answers = new ResolveResult?[asked.Length];
        if (doc.RootElement.ValueKind != JsonValueKind.Array) throw new JsonException($"HTTP {(int)response.StatusCode}: the answer to a batch is not an array");
        foreach (var element in doc.RootElement.EnumerateArray())
        {
            if (!element.TryGetProperty("id", out var id) || !id.TryGetInt32(out var k) || k < 0 || k >= asked.Length || answers[k] is not null) continue;
            if (element.TryGetProperty("result", out var result)) answers[k] = result.Deserialize<ResolveResult>(RpcJson.Options);
        }

        return answers;
    }

    private static void Log(string message) => Console.Error.WriteLine($"[{DateTime.UtcNow:HH:mm:ss}] {message}");
}
