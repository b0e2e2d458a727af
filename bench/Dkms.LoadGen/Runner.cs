using System.Diagnostics;
using Dkms.Core.Genesis;
using Dkms.Rpc;

namespace Dkms.LoadGen;

public sealed record Options
{
    public Uri[] Nodes { get; init; } = [];
    public string Genesis { get; init; } = "genesis/genesis.json";
    public string TestnetDir { get; init; } = "testnet";
    public double? Rate { get; init; } = 1000;
    public double Duration { get; init; } = 60;
    public double? Warmup { get; init; }
    public double Grace { get; init; } = 30;
    public int Connections { get; init; } = 8;
    public string Mode { get; init; } = SubmitModes.Async;
    public int IntervalMs { get; init; } = 5;
    public int MaxBatch { get; init; } = 1000;
    public int Identities { get; init; }
    public Mix Mix { get; init; } = Mix.Parse("rotation=40,kak=30,policy=20,inception=10");
    public int MaxTxs { get; init; } = 150_000;
    public int Seed { get; init; } = 1;
    public int PollMs { get; init; } = 10;
    public int[]? Pids { get; init; }
    public string? Out { get; init; }
    public string? Label { get; init; }
    public bool VerifyBench { get; init; }
    public double VerifySeconds { get; init; } = 3;
}

/// <summary>Set-up, the timed run, the drain and the report of one load run.</summary>
public sealed class Runner(Options o)
{
    private static double Now(long start) => Stopwatch.GetElapsedTime(start).TotalSeconds;

    /// <summary>Waits <paramref name="delay"/>, or less when <paramref name="cut"/> is cancelled; only <paramref name="ct"/>
    /// (the run's own) cancels the caller.</summary>
    private static async Task PauseAsync(TimeSpan delay, CancellationToken cut, CancellationToken ct)
    {
        try
        {
            await Task.Delay(delay, cut).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
        }
    }

    private static double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;

    private static void Log(string s) => Console.Error.WriteLine($"[{DateTime.UtcNow:HH:mm:ss}] {s}");

    public async Task<RunResult> RunAsync(CancellationToken ct)
    {
        var started = DateTime.UtcNow;
        var genesis = GenesisDocument.Load(o.Genesis);
        var validators = genesis.Validators.Length;
        var label = o.Label ?? (o.Rate is { } r0 ? $"rate-{r0:F0}" : "rate-max");
        Log($"chain {genesis.ChainId}, {validators} validators, nodes {string.Join(" ", o.Nodes.Select(n => n.ToString()))}");

        VerifyBenchResult? verify = null;
        if (o.VerifyBench)
        {
            verify = VerifyBench.Run(o.VerifySeconds, validators);
            Log($"verify bench: one core {verify.OneCoreVerifiesPerSecond:F0}/s, {verify.Threads} threads {verify.AllCoresVerifiesPerSecond:F0}/s, ceiling {verify.CeilingTxPerSecond:F0} tx/s ({validators} validators)");
        }

        var total = o.Rate is { } rate ? (int)Math.Ceiling(rate * o.Duration * 1.02) + 200 : o.MaxTxs;
        var identities = o.Identities > 0 ? o.Identities : Math.Clamp((int)((o.Rate ?? 5000) * 4), 1000, 40_000);
        var warmup = o.Warmup ?? Math.Min(5, o.Duration / 4);

        var presign = Stopwatch.StartNew();
        var runId = $"lg-{started:yyyyMMddHHmmss}-{Environment.ProcessId}";
        var (setup, run) = new Workload(genesis.ChainId, runId).Build(identities, total, o.Mix, o.Seed);
        presign.Stop();
        Log($"pre-signed {setup.Length} setup inceptions and {run.Length} run transactions in {presign.Elapsed.TotalSeconds:F1} s");

        var byHash = new Dictionary<string, Entry>(setup.Length + run.Length);
        foreach (var e in setup) byHash[e.Hash] = e;
        foreach (var e in run) byHash[e.Hash] = e;

        var pool = new NodePool(o.Nodes);
        var rpcs = Enumerable.Range(0, o.Connections).Select(c => new RawRpc(o.Nodes[c % o.Nodes.Length])).ToArray();
        using var tracker = new Tracker(pool, byHash, o.PollMs);
        await tracker.StartAtCurrentHeightAsync(ct).ConfigureAwait(false);
        using var stopTracker = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var trackerTask = Task.Run(() => tracker.RunAsync(stopTracker.Token), CancellationToken.None);

        // Set-up: incept the identities and wait until all are committed.
        var setupWatch = Stopwatch.StartNew();
        await SetupAsync(rpcs, pool, setup, tracker, ct).ConfigureAwait(false);
        setupWatch.Stop();
        Log($"set-up: {setup.Length} identities committed in {setupWatch.Elapsed.TotalSeconds:F1} s (height {tracker.Height})");

        // The timed run.
        var pids = o.Pids ?? [.. Enumerable.Range(0, o.Nodes.Length).Select(i => ReadPid(Path.Combine(o.TestnetDir, $"node{i}", "node.pid")))];
        var startHeight = tracker.Height;
        var state = new RunState(run, rpcs.Length);
        var t0 = Stopwatch.GetTimestamp();
        double?[]? cpuA = null, cpuB = null;
        double selfA = 0, selfB = 0, sampledUntil = o.Duration;
        (double Busy, double Total) machA = default, machB = default;
        // The window ends at the duration, or earlier once --max-txs ran out and every accepted transaction committed.
        using var submitting = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var cpuTask = Task.Run(async () =>
        {
            await PauseAsync(TimeSpan.FromSeconds(warmup), submitting.Token, ct).ConfigureAwait(false);
            cpuA = [.. pids.Select(Cpu.ProcessSeconds)];
            selfA = Cpu.SelfSeconds();
            machA = Cpu.Machine();
            await PauseAsync(TimeSpan.FromSeconds(o.Duration - warmup), submitting.Token, ct).ConfigureAwait(false);
            cpuB = [.. pids.Select(Cpu.ProcessSeconds)];
            selfB = Cpu.SelfSeconds();
            machB = Cpu.Machine();
            sampledUntil = Math.Min(o.Duration, Now(t0));
        }, ct);

        var workers = rpcs.Select((_, c) => Task.Run(() => WorkerAsync(rpcs, pool, state, c, t0, ct), ct)).ToArray();
        var all = Task.WhenAll(workers);
        long lastCommitted = 0;
        while (!all.IsCompleted)
        {
            await Task.WhenAny(all, Task.Delay(1000, ct)).ConfigureAwait(false);
            var committed = tracker.CommittedRun;
            var t = Now(t0);
            Console.Error.WriteLine(
                $"t={t,5:F1}s sent {state.Submitted,7} ({state.Submitted / Math.Max(t, 0.001),6:F0}/s) accepted {state.Accepted,7} " +
                $"committed {committed,7} (+{committed - lastCommitted,5}) inflight {state.Accepted - committed,6} " +
                $"retries {state.Retries,6} rejected {state.Rejected,4} errors {state.CallErrors,3} height {tracker.Height} mempool {tracker.MempoolCount}");
            lastCommitted = committed;
        }

        await all.ConfigureAwait(false);
        // Submission ended (at the duration, or earlier when --max-txs ran out). The window still runs to the duration
        // while accepted transactions wait to commit (a max-rate run measures how fast they drain), and ends as soon as
        // all of them committed: after that nothing is left to measure.
        while (Now(t0) < o.Duration && tracker.CommittedRun < state.Accepted)
        {
            await Task.Delay(100, ct).ConfigureAwait(false);
        }

        await submitting.CancelAsync().ConfigureAwait(false);
        await cpuTask.ConfigureAwait(false);
        var submitEnd = Now(t0);

        // Drain: wait for every accepted transaction to commit, at most the grace period.
        var drain = Stopwatch.StartNew();
        while (drain.Elapsed.TotalSeconds < o.Grace && tracker.CommittedRun < state.Accepted)
        {
            await Task.Delay(200, ct).ConfigureAwait(false);
        }

        await Task.Delay(3 * o.PollMs + 100, ct).ConfigureAwait(false);
        drain.Stop();
        await stopTracker.CancelAsync().ConfigureAwait(false);
        await trackerTask.ConfigureAwait(false);
        Log($"submission ended at {submitEnd:F1} s; drained in {drain.Elapsed.TotalSeconds:F1} s; height {tracker.Height}");

        // Lost: accepted but never seen committed. Ask the node what it knows of them.
        var lost = run.Where(e => e.State == 1 && e.Commit == 0).ToList();
        var lostByStatus = new Dictionary<string, long>();
        var lostSample = new List<string>();
        if (lost.Count > 0)
        {
            // Each node's view: a rejection after async admission shows only on the node that admitted it.
            var views = new List<string[]>();
            foreach (var node in o.Nodes)
            {
                try
                {
                    using var rpc = new RawRpc(node, timeout: TimeSpan.FromSeconds(30));
                    views.Add(await rpc.StatusManyAsync([.. lost.Select(e => e.Hash)], ct).ConfigureAwait(false));
                }
                catch (Exception e) when (e is RpcCallException or HttpRequestException or TaskCanceledException)
                {
                    if (NodePool.Unreachable(e, ct)) pool.Failed(node, e);
                    views.Add([.. lost.Select(_ => "status-query-failed")]);
                }
            }

            for (var k = 0; k < lost.Count; k++)
            {
                var combined = string.Join(" ", views.Select(v => v[k] ?? "?"));
                var key = $"{lost[k].Kind}: {combined}";
                lostByStatus[key] = lostByStatus.GetValueOrDefault(key) + 1;
                if (lostSample.Count < 20) lostSample.Add($"{lost[k].Hash} {key}");
            }
        }

        var unanswered = run.Count(e => e.FirstSubmit != 0 && e.State == 0);
        if (unanswered > 0) lostByStatus["never-accepted (retries pending at end)"] = unanswered;

        var consistency = await CheckConsistencyAsync(pool, ct).ConfigureAwait(false);
        foreach (var rpc in rpcs) rpc.Dispose();

        // Figures over the measurement window [warmup, duration] (or up to the last commit of a --max-txs run that drained sooner).
        var windowStart = t0 + (long)(warmup * Stopwatch.Frequency);
        var windowEnd = t0 + (long)(sampledUntil * Stopwatch.Frequency);
        var submitted = run.Where(e => e.FirstSubmit != 0).ToList();
        var committedInWindow = run.Count(e => e.Commit >= windowStart && e.Commit < windowEnd);
        var latencies = submitted.Where(e => e.Commit != 0 && e.FirstSubmit >= windowStart && e.FirstSubmit < windowEnd)
            .Select(e => Ms(e.Commit - e.FirstSubmit)).Order().ToArray();
        var windowBlocks = tracker.BlockLog.Where(b => b.SeenTicks >= windowStart && b.SeenTicks < windowEnd).ToList();
        var window = Math.Max(0.001, sampledUntil - warmup);
        var nodeCpu = new List<NodeCpu>();
        for (var i = 0; i < pids.Length; i++)
        {
            // No figure for a node whose process was not there at both samples (down, or no pid file).
            double? s = cpuB![i] is { } b && cpuA![i] is { } a ? b - a : null;
            nodeCpu.Add(new NodeCpu($"node{i}", pids[i], s is { } v ? Math.Round(v, 2) : null, s is { } w ? Math.Round(w / window, 3) : null));
        }

        var machineBusy = (machB.Busy - machA.Busy) / window;
        var self = (selfB - selfA) / window;
        var nodesTotal = nodeCpu.Sum(n => n.Cores ?? 0);
        return new RunResult
        {
            StartedUtc = started.ToString("O"),
            Label = label,
            Mode = o.Mode,
            TargetRate = o.Rate,
            OfferedRate = Math.Round(submitted.Count(e => e.FirstSubmit < windowEnd) / sampledUntil, 1),
            DurationSeconds = o.Duration,
            WarmupSeconds = warmup,
            GraceSeconds = o.Grace,
            Connections = o.Connections,
            Nodes = [.. o.Nodes.Select(n => n.ToString())],
            Identities = identities,
            Mix = o.Mix.ToString(),
            Cores = Environment.ProcessorCount,
            PresignSeconds = Math.Round(presign.Elapsed.TotalSeconds, 1),
            SetupSeconds = Math.Round(setupWatch.Elapsed.TotalSeconds, 1),
            Prepared = run.Length,
            Submitted = submitted.Count,
            Accepted = run.Count(e => e.State == 1),
            Rejected = run.Count(e => e.State == 2),
            RejectedByCode = run.Where(e => e.State == 2).GroupBy(e => e.RejectCode ?? "?").ToDictionary(g => g.Key, g => (long)g.Count()),
            MempoolFullRetries = state.Retries,
            CallErrors = state.CallErrors,
            Committed = run.Count(e => e.Commit != 0),
            CommittedInWindow = committedInWindow,
            CommittedTxPerSecond = Math.Round(committedInWindow / window, 1),
            DrainSeconds = Math.Round(drain.Elapsed.TotalSeconds, 1),
            Latency = Percentiles(latencies),
            Lost = lost.Count + unanswered,
            LostByStatus = lostByStatus,
            LostSample = [.. lostSample],
            StartHeight = startHeight,
            EndHeight = tracker.Height,
            BlocksPerSecond = Math.Round(windowBlocks.Count / window, 2),
            TxPerBlock = windowBlocks.Count == 0 ? 0 : Math.Round(windowBlocks.Average(b => b.Txs), 1),
            NodeCpu = [.. nodeCpu],
            LoadGenCores = Math.Round(self, 3),
            MachineBusyCores = Math.Round(machineBusy, 3),
            OtherProcessesCores = Math.Round(machineBusy - self - nodesTotal, 3),
            Verify = verify,
            Consistency = consistency,
            DeadNodes = pool.Report(),
        };
    }

    internal static LatencyMs Percentiles(double[] sorted)
    {
        if (sorted.Length == 0) return new LatencyMs(0, 0, 0, 0, 0, 0);
        double P(double p) => Math.Round(sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)], 1);
        return new LatencyMs(sorted.Length, P(0.50), P(0.90), P(0.99), Math.Round(sorted[^1], 1), Math.Round(sorted.Average(), 1));
    }

    private static int ReadPid(string file) =>
        File.Exists(file) && int.TryParse(File.ReadAllText(file).Trim(), out var pid) ? pid : -1;

    private sealed class RunState(Entry[] run, int connections)
    {
        /// <summary>Per connection, its transactions in workload order: an identity's all go through one connection.</summary>
        public readonly Entry[][] Lanes = [.. Enumerable.Range(0, connections).Select(c => run.Where(e => e.Lane % connections == c).ToArray())];
        public long Submitted;
        public long Accepted;
        public long Rejected;
        public long Retries;
        public long CallErrors;
    }

    /// <summary>
    /// One connection: every <see cref="Options.IntervalMs"/> it sends the transactions due at its share
    /// of the offered rate (or, at <c>max</c>, batches of <see cref="Options.MaxBatch"/> back to back).
    /// Transactions refused with MempoolFull are resent on this connection after a backoff.
    /// </summary>
    private async Task WorkerAsync(RawRpc[] rpcs, NodePool pool, RunState s, int connection, long t0, CancellationToken ct)
    {
        var rpc = rpcs[connection];
        var share = o.Rate / o.Connections;
        var lane = s.Lanes[connection];
        var next = 0;
        var exhausted = false;
        long mine = 0;
        var retry = new Queue<(Entry E, long NotBefore)>();
        var batch = new List<Entry>(o.MaxBatch);
        var backoffMs = 0;
        var retryDeadline = o.Duration + o.Grace;
        while (true)
        {
            var t = Now(t0);
            var fresh = t < o.Duration && !exhausted;
            if (!fresh && (retry.Count == 0 || t >= retryDeadline)) break;
            var want = 0;
            if (fresh) want = share is { } sh ? (int)Math.Min((long)(t * sh) - mine, o.MaxBatch) : o.MaxBatch;

            batch.Clear();
            var nowTicks = Stopwatch.GetTimestamp();
            while (batch.Count < o.MaxBatch && retry.Count > 0 && retry.Peek().NotBefore <= nowTicks) batch.Add(retry.Dequeue().E);
            var added = 0;
            var heldBack = retry.Count > 0; // fresh ones due now are sent after the retries (schedule kept)
            // Fresh transactions only behind every retry: an identity's later transaction must not overtake a
            // refused earlier one (it would wait in the pool for a predecessor that is not there).
            while (retry.Count == 0 && added < want && batch.Count < o.MaxBatch)
            {
                if (next >= lane.Length)
                {
                    exhausted = true;
                    break;
                }

                batch.Add(lane[next++]);
                added++;
            }

            if (!heldBack) mine += Math.Max(want, 0);
            if (batch.Count == 0)
            {
                await Task.Delay(o.IntervalMs, ct).ConfigureAwait(false);
                continue;
            }

            var ts = Stopwatch.GetTimestamp();
            foreach (var e in batch)
            {
                if (e.FirstSubmit == 0) e.FirstSubmit = ts;
                e.Attempts++;
            }

            Interlocked.Add(ref s.Submitted, added);
            var full = false;
            try
            {
                var results = await rpc.SubmitBatchAsync(batch, o.Mode, ct).ConfigureAwait(false);
                for (var k = 0; k < results.Length; k++)
                {
                    var e = batch[k];
                    if (results[k].Status == TxStatuses.Rejected)
                    {
                        if (results[k].Code == "MempoolFull")
                        {
                            full = true;
                            retry.Enqueue((e, 0));
                            Interlocked.Increment(ref s.Retries);
                        }
                        else
                        {
                            e.State = 2;
                            e.RejectCode = results[k].Code;
                            Interlocked.Increment(ref s.Rejected);
                        }
                    }
                    else
                    {
                        e.State = 1;
                        Interlocked.Increment(ref s.Accepted);
                    }
                }
            }
            catch (Exception ex) when (ex is RpcCallException or HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                if (ex is RpcCallException { Code: RpcErrorCodes.MempoolFull }) Interlocked.Add(ref s.Retries, batch.Count);
                else Interlocked.Increment(ref s.CallErrors);
                full = true;
                foreach (var e in batch) retry.Enqueue((e, 0));
                if (NodePool.Unreachable(ex, ct)) rpcs[connection] = rpc = FailOver(rpc, pool, ex);
            }

            if (full)
            {
                backoffMs = backoffMs == 0 ? 20 : Math.Min(backoffMs * 2, 200);
                var notBefore = Stopwatch.GetTimestamp() + backoffMs * Stopwatch.Frequency / 1000;
                // Everything queued for retry waits for the backoff (queue order is kept).
                var n = retry.Count;
                for (var k = 0; k < n; k++)
                {
                    var (e, nb) = retry.Dequeue();
                    retry.Enqueue((e, Math.Max(nb, notBefore)));
                }

                await Task.Delay(backoffMs, ct).ConfigureAwait(false);
            }
            else
            {
                backoffMs = 0;
                if (o.Rate is not null) await Task.Delay(o.IntervalMs, ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>A connection to the next live node in place of <paramref name="rpc"/>'s, which could not be reached.</summary>
    private static RawRpc FailOver(RawRpc rpc, NodePool pool, Exception e)
    {
        var next = pool.Failed(rpc.Node, e);
        if (next == rpc.Node) return rpc; // every node is down: keep trying this one
        rpc.Dispose();
        return new RawRpc(next);
    }

    /// <summary>Submits the set-up inceptions (sync, in batches over every connection) and waits until all are committed.</summary>
    private async Task SetupAsync(RawRpc[] rpcs, NodePool pool, Entry[] setup, Tracker tracker, CancellationToken ct)
    {
        var next = -1;
        var rejected = 0;
        async Task Feed(int connection)
        {
            var rpc = rpcs[connection];
            while (true)
            {
                var first = Interlocked.Add(ref next, 500) - 499;
                if (first >= setup.Length) return;
                var batch = setup[first..Math.Min(first + 500, setup.Length)].ToList();
                var delay = 50;
                while (batch.Count > 0)
                {
                    var again = new List<Entry>();
                    try
                    {
                        var results = await rpc.SubmitBatchAsync(batch, SubmitModes.Sync, ct).ConfigureAwait(false);
                        for (var k = 0; k < results.Length; k++)
                        {
                            if (results[k].Status != TxStatuses.Rejected) batch[k].State = 1;
                            else if (results[k].Code == "MempoolFull") again.Add(batch[k]);
                            else
                            {
                                batch[k].State = 2;
                                Interlocked.Increment(ref rejected);
                                Log($"set-up inception rejected: {results[k].Code}");
                            }
                        }
                    }
                    catch (Exception e) when (e is RpcCallException or HttpRequestException || NodePool.Unreachable(e, ct))
                    {
                        Log($"set-up submit failed ({e.Message}); retrying");
                        again = batch;
                        if (NodePool.Unreachable(e, ct)) rpcs[connection] = rpc = FailOver(rpc, pool, e);
                    }

                    batch = again;
                    if (batch.Count > 0)
                    {
                        await Task.Delay(delay, ct).ConfigureAwait(false);
                        delay = Math.Min(delay * 2, 2000);
                    }
                }
            }
        }

        await Task.WhenAll(rpcs.Select((_, c) => Task.Run(() => Feed(c), ct))).ConfigureAwait(false);
        var watch = Stopwatch.StartNew();
        while (tracker.CommittedSetup < setup.Length - rejected)
        {
            if (watch.Elapsed.TotalSeconds > 600) throw new InvalidOperationException($"set-up: only {tracker.CommittedSetup} of {setup.Length} inceptions committed after 600 s");
            await Task.Delay(100, ct).ConfigureAwait(false);
        }

        if (rejected > 0) throw new InvalidOperationException($"set-up: {rejected} inceptions rejected");
    }

    /// <summary>Every reachable node's height; then the block at the lowest height from each: same hash and state root?
    /// A node that does not answer is reported dead and left out.</summary>
    private async Task<Consistency> CheckConsistencyAsync(NodePool pool, CancellationToken ct)
    {
        var live = new List<(Uri Node, ulong Height)>();
        foreach (var node in o.Nodes)
        {
            try
            {
                using var rpc = new RawRpc(node, timeout: TimeSpan.FromSeconds(10));
                var st = await rpc.CallAsync(RpcMethods.NodeStatus, null, ct).ConfigureAwait(false);
                live.Add((node, st.GetProperty("height").GetUInt64()));
            }
            catch (Exception e) when (NodePool.Unreachable(e, ct))
            {
                pool.Failed(node, e);
            }
        }

        if (live.Count == 0) return new Consistency(false, 0, []);
        var min = live.Min(n => n.Height);
        var states = new List<NodeState>();
        foreach (var (node, height) in live)
        {
            try
            {
                using var rpc = new RawRpc(node, timeout: TimeSpan.FromSeconds(10));
                var b = await rpc.CallAsync(RpcMethods.Block, w => w.WriteNumber("height", min), ct).ConfigureAwait(false);
                states.Add(new NodeState(node.ToString(), height, b.GetProperty("hash").GetString(), b.GetProperty("stateRoot").GetString()));
            }
            catch (Exception e) when (NodePool.Unreachable(e, ct))
            {
                pool.Failed(node, e);
            }
        }

        var same = states.Count > 0 && states.All(s => s.Hash == states[0].Hash && s.StateRoot == states[0].StateRoot);
        Log($"consistency at height {min}: {(same ? "all reachable nodes agree" : "NODES DIFFER")} (heights {string.Join(",", live.Select(n => n.Height))})");
        return new Consistency(same, min, [.. states]);
    }
}
