using BenchmarkDotNet.Attributes;
using Dkms.Core.Crypto;
using Dkms.Core.Transactions;
using Dkms.Ledger.Execution;
using Dkms.Storage;

namespace Dkms.Ledger.Bench;

/// <summary>
/// The target of issue #2: with 100,000 identities in the state and signatures already verified,
/// execute AND commit a block of 1,000 mixed transactions (state root included), on RocksDB (synced
/// commit, as in production) and on the MemoryStore, next to verifying 1,000 Ed25519 signatures on one
/// core. Each iteration commits a fresh block (next 1,000 identities), prepared before the run.
/// </summary>
[Config(typeof(BlockConfig))]
public class HeadlineBenchmarks
{
    public const int Identities = 100_000;
    public const int BlockSize = 1_000;

    // JIT run + warmups + iterations, with slack; identities 2..(Blocks*1000+1) are each used once.
    private const int Blocks = 1 + 1 + BlockConfig.Warmups + BlockConfig.Iterations + 10;

    private DkmsLedger _ledger = null!;
    private IKeyValueStore? _store;
    private string? _dir;
    private Transaction[][] _blocks = [];
    private int _next;
    private Transaction[] _current = [];
    private Transaction[] _signed = [];

    [GlobalSetup(Targets = [nameof(ExecuteCommitRocksDb)])]
    public void SetupRocks() => SetupLedger(rocks: true);

    [GlobalSetup(Targets = [nameof(ExecuteCommitMemory)])]
    public void SetupMemory() => SetupLedger(rocks: false);

    [GlobalSetup(Targets = [nameof(Verify1000Signatures)])]
    public void SetupVerify()
    {
        // Real Ed25519 signatures over the same mix of transactions as the executed blocks.
        var w = new Workload(Fixture.Chain, realSignatures: true, prefix: "real");
        _signed = w.MixedBlock(Workload.Trustees, BlockSize);
        Fixture.Require(VerifyAll() == _signed.Length, "every signature verifies");
        var forged = _signed[0].SigningMessage();
        forged[^1] ^= 1;
        Fixture.Require(!Ed25519.Verify(_signed[0].Signatures[0].Key, forged, _signed[0].Signatures[0].Signature), "a changed message does not verify");
    }

    [IterationSetup(Targets = [nameof(ExecuteCommitRocksDb), nameof(ExecuteCommitMemory)])]
    public void NextBlock()
    {
        if (_next >= _blocks.Length) throw new InvalidOperationException("out of prepared blocks: raise Blocks");
        _current = _blocks[_next++];
    }

    [GlobalCleanup]
    public void Cleanup() => Fixture.Close(_store, _dir);

    [Benchmark]
    public ExecutedBlock ExecuteCommitRocksDb() => ExecuteCommit();

    [Benchmark]
    public ExecutedBlock ExecuteCommitMemory() => ExecuteCommit();

    [Benchmark]
    public int Verify1000Signatures() => VerifyAll();

    private ExecutedBlock ExecuteCommit()
    {
        var block = _ledger.Execute(_ledger.Height + 1, Fixture.NextTime(_ledger), _current);
        _ledger.Commit(block);
        return block;
    }

    private int VerifyAll()
    {
        var ok = 0;
        foreach (var tx in _signed)
        {
            var message = tx.SigningMessage();
            foreach (var s in tx.Signatures)
            {
                if (Ed25519.Verify(s.Key, message, s.Signature)) ok++;
            }
        }

        return ok;
    }

    private void SetupLedger(bool rocks)
    {
        (_ledger, _store, _dir) = Fixture.OpenLedger(rocks);
        var w = new Workload(Fixture.Chain, realSignatures: false);
        Fixture.Prefill(_ledger, w, Identities);
        Fixture.Require(_ledger.Height == Identities / 1_000 + 1, "prefill committed every block");

        _blocks = [.. Enumerable.Range(0, Blocks).Select(b => w.MixedBlock(Workload.Trustees + b * BlockSize, BlockSize))];
        foreach (var tx in _blocks.SelectMany(b => b)) _ledger.Signatures.Add(tx.EnvelopeHash);

        // Check: the first block is fully accepted, commits, and its root is provable; the run uses the rest.
        var first = _ledger.Execute(_ledger.Height + 1, Fixture.NextTime(_ledger), _blocks[0]);
        Fixture.Require(first.AllAccepted, Fixture.FirstRejection(first));
        _ledger.Commit(first);
        Fixture.Require(_ledger.StateRoot == first.StateRoot, "commit moved the head to the block's root");
        var proof = _ledger.ProveIdentity(w.Id(Workload.Trustees));
        Fixture.Require(proof is not null && proof.Verify(_ledger.StateRoot), "a changed identity is provable under the new root");
        _next = 1;
    }
}
