using BenchmarkDotNet.Attributes;
using Dkms.Core.Primitives;
using Dkms.Storage;

namespace Dkms.Ledger.Bench;

/// <summary>Ledger-level identity proofs (store read + tree path) on a MemoryStore ledger of 20,000 identities.</summary>
[Config(typeof(ShortConfig))]
public class ProofBenchmarks
{
    public const int Identities = 20_000;

    private DkmsLedger _ledger = null!;
    private IKeyValueStore _store = null!;
    private IdentityId _id;
    private ProvenValue _proof = null!;
    private Hash32 _root;

    [GlobalSetup]
    public void Setup()
    {
        (_ledger, _store, _) = Fixture.OpenLedger(rocks: false);
        var w = new Workload(Fixture.Chain, realSignatures: false);
        Fixture.Prefill(_ledger, w, Identities);
        _id = w.Id(4_321);
        _root = _ledger.StateRoot;
        _proof = ProveIdentity()!;
        Fixture.Require(_proof.Value is not null && VerifyIdentityProof(), "an identity proof verifies against the state root");
        var tampered = _proof with { Value = [.. _proof.Value!, 0] };
        Fixture.Require(!tampered.Verify(_root), "a changed value does not verify");
    }

    [GlobalCleanup]
    public void Cleanup() => _store.Dispose();

    [Benchmark]
    public ProvenValue? ProveIdentity() => _ledger.ProveIdentity(_id);

    [Benchmark]
    public bool VerifyIdentityProof() => _proof.Verify(_root);
}
