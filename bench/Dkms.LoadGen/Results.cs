using System.Text.Json;
using System.Text.Json.Serialization;

namespace Dkms.LoadGen;

public sealed record LatencyMs(long Count, double P50, double P90, double P99, double Max, double Mean);

/// <summary>CPU of one node over the measurement window; null when its process was not there at both samples.</summary>
public sealed record NodeCpu(string Name, int Pid, double? CpuSeconds, double? Cores);

public sealed record VerifyBenchResult(double Seconds, double OneCoreVerifiesPerSecond, int Threads, double AllCoresVerifiesPerSecond, double CeilingTxPerSecond);

public sealed record NodeState(string Node, ulong Height, string? Hash, string? StateRoot);

public sealed record Consistency(bool Same, ulong ComparedHeight, NodeState[] Nodes);

/// <summary>Everything one run measured; written with <c>--out</c> and read back by <c>curve-report</c>.</summary>
public sealed record RunResult
{
    public string StartedUtc { get; init; } = "";
    public string Label { get; init; } = "";
    public string Mode { get; init; } = "";
    public double? TargetRate { get; init; }
    public double OfferedRate { get; init; }
    public double DurationSeconds { get; init; }
    public double WarmupSeconds { get; init; }
    public double GraceSeconds { get; init; }
    public int Connections { get; init; }
    public string[] Nodes { get; init; } = [];
    public int Identities { get; init; }
    public string Mix { get; init; } = "";
    public int Cores { get; init; }
    public double PresignSeconds { get; init; }
    public double SetupSeconds { get; init; }
    public long Prepared { get; init; }
    public long Submitted { get; init; }
    public long Accepted { get; init; }
    public long Rejected { get; init; }
    public Dictionary<string, long> RejectedByCode { get; init; } = [];
    public long MempoolFullRetries { get; init; }
    public long CallErrors { get; init; }
    public long Committed { get; init; }
    public long CommittedInWindow { get; init; }
    public double CommittedTxPerSecond { get; init; }
    public double DrainSeconds { get; init; }
    public LatencyMs Latency { get; init; } = new(0, 0, 0, 0, 0, 0);
    public long Lost { get; init; }
    public Dictionary<string, long> LostByStatus { get; init; } = [];
    public string[] LostSample { get; init; } = [];
    public ulong StartHeight { get; init; }
    public ulong EndHeight { get; init; }
    public double BlocksPerSecond { get; init; }
    public double TxPerBlock { get; init; }
    public NodeCpu[] NodeCpu { get; init; } = [];
    public double LoadGenCores { get; init; }
    public double MachineBusyCores { get; init; }
    public double OtherProcessesCores { get; init; }
    public VerifyBenchResult? Verify { get; init; }
    public Consistency? Consistency { get; init; }

    /// <summary>Nodes that could not be reached during the run (their load went to the others).</summary>
    public DeadNode[] DeadNodes { get; init; } = [];

    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        // A run whose nodes were all down for a while (tests/e2e/durability.sh) can have an infinite or undefined
        // figure; the result must still be written (readers: Python's json, this tool's curve-report).
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public string Summary() =>
        $"{Label}: offered {OfferedRate:F0} tx/s, committed {CommittedTxPerSecond:F0} tx/s, " +
        $"p50 {Latency.P50:F0} ms p90 {Latency.P90:F0} ms p99 {Latency.P99:F0} ms max {Latency.Max:F0} ms, " +
        $"submitted {Submitted} accepted {Accepted} rejected {Rejected} lost {Lost} retries {MempoolFullRetries}, " +
        $"node cpu {string.Join("/", NodeCpu.Select(n => n.Cores is { } c ? c.ToString("F2") : "-"))} cores, loadgen {LoadGenCores:F2}, other {OtherProcessesCores:F2}, " +
        $"consistent {(Consistency?.Same == true ? "yes" : "NO")} at {Consistency?.ComparedHeight}" +
        (DeadNodes.Length > 0 ? $", dead nodes: {string.Join(" ", DeadNodes.Select(d => $"{d.Node} (at {d.FirstFailureSeconds} s: {d.Error})"))}" : "");
}
