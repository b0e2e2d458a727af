using System.Globalization;
using System.Text.Json;
using Dkms.LoadGen;

const string Usage = """
    dkms-loadgen — end-to-end load generator for a running testnet (docs/performance-e2e.md)

      dkms-loadgen [run] [options]          set-up, timed run, drain, report
      dkms-loadgen reads [options]          read capacity: verified resolves/s (alone, or next to a run)
      dkms-loadgen verify-bench [--verify-seconds 3] [--validators 4]
      dkms-loadgen curve-report --svg FILE [--md FILE] RESULT.json...

    run options:
      --nodes URL,URL,...     RPC addresses (default: the run-testnet.sh ones, RPC_PORT + 10·i, one per testnet/node*)
      --genesis FILE          genesis/genesis.json
      --testnet DIR           testnet (node pids from DIR/node*/node.pid)
      --pids P,P,...          node pids instead
      --rate N|max            offered tx/s, or max: back-to-back batches (default 1000)
      --duration S            submission time (60)        --warmup S   excluded from the figures (min(5, duration/4))
      --grace S               wait for commits after the run (30)
      --connections N         HTTP connections, spread over the nodes (8)
      --mode async|sync       tx.submitBatch mode (async)
      --interval MS           batch interval per connection at a fixed rate (5)
      --max-batch N           largest batch (1000)        --max-txs N  transactions prepared for --rate max (150000)
      --identities N          pre-incepted identities (rate·4, 1,000..40,000)
      --mix rotation=40,kak=30,policy=20,inception=10
      --poll MS               block polling interval (10)
      --verify-bench          also measure Ed25519 verifications/s first   --verify-seconds S (3)
      --out FILE              results as JSON             --label TEXT
      --rpc-ca PEM            CA to trust for https:// nodes   --rpc-token-file FILE  the nodes' RPC token

    reads options:
      --nodes, --testnet, --genesis as for run
      --write-node URL        where the readers' identities are submitted (default: the first of --nodes; name a
                              validator when reading from observers, which take no transactions)
      --kind resolve|did      identity.resolve with proof, verified here (default), or GET /1.0/identifiers/{did}
      --concurrency N         requests in flight, spread over the nodes (32)
      --verify-every N        verify one resolve answer in N (1: all); the others are only checked to carry a proof
      --batch N               resolves per HTTP request: a JSON-RPC batch of N calls (1: one call per request)
      --pids P,P,...          pids of the nodes read from (on this machine): their CPU over the measured window, and
                              µs of node CPU per answer — what one node core serves, apart from the readers' cores
      --duration S (20)   --warmup S (3)   --identities N (1000, incepted first)   --seed N   --out FILE   --label TEXT
    """;

var cmd = args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal) ? args[0] : "run";
var rest = cmd == "run" && args.Length > 0 && args[0] == "run" ? args[1..] : args.Length > 0 && args[0] == cmd ? args[1..] : args;

try
{
    switch (cmd)
    {
        case "run":
            {
                var o = ParseRun(rest);
                var result = await RunCancellableAsync(ct => new Runner(o).RunAsync(ct));
                await WriteResultAsync(o.Out, result);
                Console.WriteLine(result.Summary());
                return result.Lost == 0 && result.Consistency?.Same == true ? 0 : 2;
            }

        case "reads":
            {
                var o = ParseReads(rest);
                var result = await RunCancellableAsync(ct => new ReadBench(o).RunAsync(ct));
                await WriteResultAsync(o.Out, result);
                Console.WriteLine(result.Summary());
                return result.Failures == 0 ? 0 : 2;
            }

        case "verify-bench":
            {
                var seconds = 3.0;
                var validators = 4;
                for (var i = 0; i < rest.Length; i++)
                {
                    if (rest[i] == "--verify-seconds") seconds = double.Parse(rest[++i], CultureInfo.InvariantCulture);
                    else if (rest[i] == "--validators") validators = int.Parse(rest[++i], CultureInfo.InvariantCulture);
                    else throw new ArgumentException($"unknown option {rest[i]}");
                }

                Console.WriteLine(JsonSerializer.Serialize(VerifyBench.Run(seconds, validators), RunResult.Json));
                return 0;
            }

        case "curve-report":
            {
                string? svg = null, md = null;
                var files = new List<string>();
                for (var i = 0; i < rest.Length; i++)
                {
                    if (rest[i] == "--svg") svg = rest[++i];
                    else if (rest[i] == "--md") md = rest[++i];
                    else files.Add(rest[i]);
                }

                var results = files.Select(f => JsonSerializer.Deserialize<RunResult>(File.ReadAllText(f), RunResult.Json)!).ToList();
                var table = Curve.Table(results);
                Console.WriteLine(table);
                if (md is not null) await File.WriteAllTextAsync(md, table);
                if (svg is not null) await File.WriteAllTextAsync(svg, Curve.Svg(results));
                return 0;
            }

        default:
            Console.Error.WriteLine(Usage);
            return 1;
    }
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"error: {e.Message}\n\n{Usage}");
    return 1;
}
catch (NoNodeAnsweredException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 3;
}

static Options ParseRun(string[] a)
{
    var o = new Options();
    string? nodes = null;
    for (var i = 0; i < a.Length; i++)
    {
        string Next() => i + 1 < a.Length ? a[++i] : throw new ArgumentException($"{a[i]} needs a value");
        double Num() => double.Parse(Next(), CultureInfo.InvariantCulture);
        int Int() => int.Parse(Next(), CultureInfo.InvariantCulture);
        switch (a[i])
        {
            case "--nodes": nodes = Next(); break;
            case "--genesis": o = o with { Genesis = Next() }; break;
            case "--testnet": o = o with { TestnetDir = Next() }; break;
            case "--pids": o = o with { Pids = [.. Next().Split(',').Select(p => int.Parse(p, CultureInfo.InvariantCulture))] }; break;
            case "--rate":
                var r = Next();
                o = o with { Rate = r == "max" ? null : double.Parse(r, CultureInfo.InvariantCulture) };
                break;
            case "--duration": o = o with { Duration = Num() }; break;
            case "--warmup": o = o with { Warmup = Num() }; break;
            case "--grace": o = o with { Grace = Num() }; break;
            case "--connections": o = o with { Connections = Int() }; break;
            case "--mode":
                var m = Next();
                if (m is not ("async" or "sync")) throw new ArgumentException("--mode is async or sync");
                o = o with { Mode = m };
                break;
            case "--interval": o = o with { IntervalMs = Int() }; break;
            case "--max-batch": o = o with { MaxBatch = Int() }; break;
            case "--max-txs": o = o with { MaxTxs = Int() }; break;
            case "--identities": o = o with { Identities = Int() }; break;
            case "--mix": o = o with { Mix = Mix.Parse(Next()) }; break;
            case "--poll": o = o with { PollMs = Int() }; break;
            case "--seed": o = o with { Seed = Int() }; break;
            case "--verify-bench": o = o with { VerifyBench = true }; break;
            case "--verify-seconds": o = o with { VerifySeconds = Num() }; break;
            case "--out": o = o with { Out = Next() }; break;
            case "--label": o = o with { Label = Next() }; break;
            case "--rpc-ca": RawRpc.Connection = RawRpc.Connection with { TrustedCertificatesFile = Next() }; break;
            case "--rpc-token-file": RawRpc.Connection = RawRpc.Connection with { TokenFile = Next() }; break;
            default: throw new ArgumentException($"unknown option {a[i]}");
        }
    }

    o = o with { Nodes = NodeList(nodes, o.TestnetDir) };
    if (o.Duration <= 0 || o.Connections <= 0 || o.MaxBatch <= 0) throw new ArgumentException("duration, connections and max-batch must be positive");
    return o;
}

// The nodes given, or the run-testnet.sh ones: RPC_PORT + 10·i, one per testnet/node* (4 without a testnet folder).
static Uri[] NodeList(string? nodes, string testnetDir)
{
    if (nodes is null)
    {
        var basePort = int.TryParse(Environment.GetEnvironmentVariable("RPC_PORT"), out var p) ? p : 26657;
        var count = Directory.Exists(testnetDir) ? Directory.GetDirectories(testnetDir, "node*").Length : 0;
        if (count == 0) count = 4;
        nodes = string.Join(",", Enumerable.Range(0, count).Select(i => $"http://127.0.0.1:{basePort + 10 * i}/"));
    }

    Uri[] list = [.. nodes.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(n => new Uri(n))];
    return list.Length > 0 ? list : throw new ArgumentException("no nodes");
}

static ReadOptions ParseReads(string[] a)
{
    var o = new ReadOptions();
    string? nodes = null;
    var testnet = "testnet";
    for (var i = 0; i < a.Length; i++)
    {
        string Next() => i + 1 < a.Length ? a[++i] : throw new ArgumentException($"{a[i]} needs a value");
        double Num() => double.Parse(Next(), CultureInfo.InvariantCulture);
        int Int() => int.Parse(Next(), CultureInfo.InvariantCulture);
        switch (a[i])
        {
            case "--nodes": nodes = Next(); break;
            case "--write-node": o = o with { WriteNode = new Uri(Next()) }; break;
            case "--testnet": testnet = Next(); break;
            case "--genesis": o = o with { Genesis = Next() }; break;
            case "--kind":
                var k = Next();
                if (k is not ("resolve" or "did")) throw new ArgumentException("--kind is resolve or did");
                o = o with { Kind = k };
                break;
            case "--identities": o = o with { Identities = Int() }; break;
            case "--duration": o = o with { Duration = Num() }; break;
            case "--warmup": o = o with { Warmup = Num() }; break;
            case "--concurrency": o = o with { Concurrency = Int() }; break;
            case "--verify-every": o = o with { VerifyEvery = Int() }; break;
            case "--batch": o = o with { Batch = Int() }; break;
            case "--pids": o = o with { Pids = [.. Next().Split(',', StringSplitOptions.RemoveEmptyEntries).Select(p => int.Parse(p, CultureInfo.InvariantCulture))] }; break;
            case "--seed": o = o with { Seed = Int() }; break;
            case "--out": o = o with { Out = Next() }; break;
            case "--label": o = o with { Label = Next() }; break;
            default: throw new ArgumentException($"unknown option {a[i]}");
        }
    }

    if (o.VerifyEvery <= 0) throw new ArgumentException("--verify-every must be positive");
    if (o.Batch is <= 0 or > 1000) throw new ArgumentException("--batch must be 1..1000 (the node takes batches of up to 1,000 calls)");
    if (o.Duration <= 0 || o.Concurrency <= 0 || o.Identities <= 0 || o.Warmup < 0) throw new ArgumentException("duration, concurrency and identities must be positive");
    return o with { Nodes = NodeList(nodes, testnet) };
}

// Ctrl-C cancels the run (it then reports what it has) instead of killing the process.
static async Task<T> RunCancellableAsync<T>(Func<CancellationToken, Task<T>> run)
{
    using var cts = new CancellationTokenSource();
    Console.CancelKeyPress += (_, e) =>
    {
        e.Cancel = true;
        cts.Cancel();
    };
    return await run(cts.Token);
}

static async Task WriteResultAsync<T>(string? path, T result)
{
    if (path is null) return;
    var dir = Path.GetDirectoryName(Path.GetFullPath(path));
    if (dir is not null) Directory.CreateDirectory(dir);
    await File.WriteAllTextAsync(path, JsonSerializer.Serialize(result, RunResult.Json));
}
