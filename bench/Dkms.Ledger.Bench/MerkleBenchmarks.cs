using BenchmarkDotNet.Attributes;
using Dkms.Core.Primitives;
using Dkms.Ledger.Merkle;

namespace Dkms.Ledger.Bench;

/// <summary>
/// The sparse Merkle state tree on 100,000 leaves: a block's worth of 1,000 leaf updates (new values
/// for existing keys) applied and the new root hashed; proof generation and verification.
/// </summary>
[Config(typeof(ShortConfig))]
public class MerkleBenchmarks
{
    public const int Leaves = 100_000;
    public const int Updates = 1_000;

    private SparseMerkleTree _tree = SparseMerkleTree.Empty;
    private (Hash32 KeyHash, Hash32? ValueHash)[] _updates = [];
    private Hash32 _provedKey;
    private Hash32 _provedValue;
    private MerkleProof _proof = null!;

    [GlobalSetup]
    public void Setup()
    {
        var keys = Enumerable.Range(0, Leaves).Select(i => H($"key/{i}")).ToArray();
        _tree = SparseMerkleTree.Build(keys.Select((k, i) => (k, H($"value/{i}"))));
        _ = _tree.Root;
        _updates = [.. Enumerable.Range(0, Updates).Select(j => (keys[j * (Leaves / Updates)], (Hash32?)H($"value2/{j}")))];

        _provedKey = keys[12_345];
        _provedValue = H("value/12345");
        _proof = _tree.Prove(_provedKey);

        Fixture.Require(_tree.Count == Leaves, "tree holds every leaf");
        Fixture.Require(VerifyProof(), "an inclusion proof verifies");
        Fixture.Require(!MerkleProofVerifier.VerifyInclusion(_tree.Root, _provedKey, H("other"), _proof), "a wrong value does not verify");
        var updated = _tree.Apply(_updates);
        Fixture.Require(updated.Count == Leaves && updated.Root != _tree.Root, "updates change the root, not the count");
        var (k, v) = _updates[7];
        Fixture.Require(MerkleProofVerifier.VerifyInclusion(updated.Root, k, v!.Value, updated.Prove(k)), "an updated leaf is provable under the new root");
    }

    /// <summary>The tree is persistent: Apply builds new nodes on every call and Root hashes them.</summary>
    [Benchmark]
    public Hash32 Apply1000AndRoot() => _tree.Apply(_updates).Root;

    [Benchmark]
    public MerkleProof Prove() => _tree.Prove(_provedKey);

    [Benchmark]
    public bool VerifyProof() => MerkleProofVerifier.VerifyInclusion(_tree.Root, _provedKey, _provedValue, _proof);

    private static Hash32 H(string s) => Hash32.Sha256(System.Text.Encoding.UTF8.GetBytes(s));
}
