using BenchmarkDotNet.Attributes;
using Dkms.Core.Transactions;
using Dkms.Ledger.Execution;
using Dkms.Storage;

namespace Dkms.Ledger.Bench;

/// <summary>
/// Validate-and-apply of one transaction type: executing (not committing) a block of 1,000 transactions
/// of that type on a MemoryStore ledger holding 10,000 identities, signatures already in the cache.
/// Execution includes the state-root computation for the block's writes. Reported per transaction.
/// Execute does not change committed state, so the same block is executed every invocation.
/// </summary>
[Config(typeof(ShortConfig))]
public class TransactionTypeBenchmarks
{
    public const int Identities = 10_000;
    public const int BlockSize = 1_000;

    private DkmsLedger _ledger = null!;
    private IKeyValueStore _store = null!;
    private Transaction[] _block = [];

    [Params(Kind.Inception, Kind.Rotation, Kind.AddKeyAgreementKey, Kind.RevokeKey, Kind.SetAgentPolicy, Kind.RecoveryStart)]
    public Kind Type { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        (_ledger, _store, _) = Fixture.OpenLedger(rocks: false);
        var w = new Workload(Fixture.Chain, realSignatures: false);
        Fixture.Prefill(_ledger, w, Identities);

        var first = Type == Kind.Inception ? Identities + Workload.Trustees : Workload.Trustees;
        _block = [.. Enumerable.Range(first, BlockSize).Select(i => w.Make(Type, i))];
        foreach (var tx in _block) _ledger.Signatures.Add(tx.EnvelopeHash);

        var executed = Execute();
        Fixture.Require(executed.AllAccepted, Fixture.FirstRejection(executed));
        Fixture.Require(executed.StateRoot != _ledger.StateRoot, "the block changes the state root");
    }

    [GlobalCleanup]
    public void Cleanup() => _store.Dispose();

    [Benchmark(OperationsPerInvoke = BlockSize)]
    public ExecutedBlock Execute() => _ledger.Execute(_ledger.Height + 1, Fixture.NextTime(_ledger), _block);
}
