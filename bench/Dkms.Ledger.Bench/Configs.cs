using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;

namespace Dkms.Ledger.Bench;

/// <summary>Short job for a shared 2-core machine: one launch, 3 warmups, 5 measured iterations.</summary>
public class ShortConfig : ManualConfig
{
    public ShortConfig()
    {
        AddJob(Job.Default.WithLaunchCount(1).WithWarmupCount(3).WithIterationCount(5).WithId("Short").WithNodeGc());
        AddDiagnoser(MemoryDiagnoser.Default);
        AddColumn(StatisticColumn.Median);
    }
}

/// <summary>
/// One invocation per iteration (each commits a fresh block), 3 warmups, 15 measured iterations.
/// </summary>
public class BlockConfig : ManualConfig
{
    public const int Warmups = 3;
    public const int Iterations = 15;

    public BlockConfig()
    {
        AddJob(Job.Default.WithLaunchCount(1).WithWarmupCount(Warmups).WithIterationCount(Iterations)
            .WithInvocationCount(1).WithUnrollFactor(1).WithId("Block").WithNodeGc());
        AddDiagnoser(MemoryDiagnoser.Default);
        AddColumn(StatisticColumn.Median);
    }
}

/// <summary>The node's GC settings (Directory.Build.props), so benchmarks run as the node does.</summary>
internal static class NodeGc
{
    public static Job WithNodeGc(this Job job) => job.WithGcServer(false).WithGcConcurrent(true).WithGcRetainVm(true);
}
