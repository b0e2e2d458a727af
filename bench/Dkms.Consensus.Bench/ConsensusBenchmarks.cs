using BenchmarkDotNet.Attributes;

namespace Dkms.Consensus.Bench;

/// <summary>
/// Four validators in one process (<see cref="Cluster"/>: synchronous drivers, in-memory network with 1 ms delay, fake
/// clock), blocks of 1,000 pre-verified transactions. One operation = one committed height on all four validators,
/// everything on one thread, so time per op ≈ CPU per height and (time per op) / 1000 / 4 = CPU per transaction per
/// validator. Two applications: <see cref="FixedCostApplication"/> (engine cost only) and the in-memory one (engine plus
/// an application that hashes every transaction). The baseline verifies the block's 1,000 signatures on each validator.
/// </summary>
[MemoryDiagnoser]
public class ConsensusBenchmarks
{
    private const int TxsPerBlock = 1000;
    private Cluster _fixedCost = null!;
    private Cluster _inMemory = null!;
    private SignatureBaseline _baseline = null!;

    [GlobalSetup]
    public void Setup()
    {
        _fixedCost = new Cluster(AppKind.FixedCost, TxsPerBlock);
        _inMemory = new Cluster(AppKind.InMemory, TxsPerBlock);
        _baseline = new SignatureBaseline(TxsPerBlock);
        _fixedCost.OneHeight();
        _inMemory.OneHeight();
    }

    [Benchmark(Description = "one height, 1,000 txs, 4 validators, fixed-cost app")]
    public void OneHeightFixedCostApp() => _fixedCost.OneHeight();

    [Benchmark(Description = "one height, 1,000 txs, 4 validators, in-memory app")]
    public void OneHeightInMemoryApp() => _inMemory.OneHeight();

    [Benchmark(Baseline = true, Description = "verify 1,000 tx signatures x 4 validators")]
    public bool VerifyBlockSignatures() => _baseline.VerifyAll();
}
