using Dkms.Client;
using Dkms.Core.Crypto;
using Dkms.Core.Primitives;
using Dkms.Core.Transactions;
using Dkms.Ledger;
using Dkms.Node.Mempool;
using Dkms.Node.Mempool.Admission;
using Dkms.Node.Tests.Support;
using Dkms.Storage;

namespace Dkms.Node.Tests.Mempool;

/// <summary>Issue 18 §2: each admission filter alone, on a ledger over an in-memory store and a pool view set by hand.</summary>
public sealed class AdmissionFilterTests
{
    private const string ChainId = "dkms-filter-tests";

    private readonly DkmsLedger _ledger;
    private readonly TransactionBuilder _builder = new(ChainId);
    private readonly FakeView _pool = new();
    private ulong _blockTime = 1_000;

    public AdmissionFilterTests()
    {
        _ledger = DkmsLedger.Open(new MemoryStore(), new LedgerOptions(ChainId));
        var validator = Ed25519Signer.FromSeed(Hash32.Sha256("filter-tests-validator"u8).ToArray());
        _ledger.InitializeGenesis([new ValidatorEntry(validator.PublicKey, "127.0.0.1:26000", 1)]);
    }

    private ulong Now() => _blockTime + 500;

    private void Commit(params Transaction[] txs)
    {
        _blockTime += 1_000;
        var executed = _ledger.Execute(_ledger.Height + 1, _blockTime, txs);
        Assert.True(executed.AllAccepted, string.Join("; ", executed.Results));
        _ledger.Commit(executed);
    }

    private static FilterVerdict Judge(IAdmissionFilter filter, Transaction tx, IPendingView pool) => filter.Judge(new Candidate(tx), pool);

    private static Transaction WithBadSignature(Transaction tx)
    {
        var bytes = tx.Encoded.ToArray();
        bytes[^2] ^= 0x01; // the last byte of the signature; the envelope ends with the signer (nil)
        Assert.True(TransactionCodec.TryDecode(bytes, out var bad, out var error), error.ToString());
        return bad!;
    }

    [Fact]
    public void Shape_refuses_another_chains_transaction_and_passes_this_chains()
    {
        var filter = new ShapeFilter(ChainId);
        var other = new TestIdentity("alice", new TransactionBuilder("another-chain")).Incept();

        var refused = Judge(filter, other, _pool);

        Assert.Equal(VerdictKind.Stop, refused.Kind);
        Assert.Equal(ErrorCode.WrongChain, refused.Outcome.Result.Code);
        Assert.Equal(VerdictKind.Pass, Judge(filter, new TestIdentity("alice", _builder).Incept(), _pool).Kind);
    }

    [Fact]
    public void Duplicate_stops_a_pending_transaction_and_one_whose_slot_is_held_and_passes_the_rest()
    {
        var filter = new DuplicateFilter();
        var alice = new TestIdentity("alice", _builder);
        var pending = alice.Incept();
        var rival = new TestIdentity("rival", _builder).Incept();
        _pool.Pending.Add(pending.Hash);

        Assert.Equal(AdmitStatus.AlreadyPending, Judge(filter, pending, _pool).Outcome.Status);
        _pool.Holder = pending;
        var taken = Judge(filter, rival, _pool);
        Assert.Equal(ErrorCode.BadSequence, taken.Outcome.Result.Code);
        Assert.Contains(pending.Hash.ToString(), taken.Outcome.Result.Message, StringComparison.Ordinal);
        _pool.Holder = null;
        Assert.Equal(VerdictKind.Pass, Judge(filter, rival, _pool).Kind);
    }

    [Fact]
    public void Capacity_answers_mempool_full_only_when_the_pool_has_no_room()
    {
        var filter = new CapacityFilter();
        var tx = new TestIdentity("alice", _builder).Incept();

        Assert.Equal(VerdictKind.Pass, Judge(filter, tx, _pool).Kind);
        _pool.Full = true;
        Assert.Equal(AdmitStatus.Full, Judge(filter, tx, _pool).Outcome.Status);
    }

    [Fact]
    public void Signature_verifies_a_batch_once_when_made_refuses_the_bad_form_and_passes_the_good_without_verifying_again()
    {
        var good = new TestIdentity("alice", _builder).Incept();
        var bad = WithBadSignature(new TestIdentity("bob", _builder).Incept());
        var outOfTurn = _builder.Rotation(IdentityId.Derive([1, 2, 3]), 5, new TestIdentity("carol", _builder).ConfigAt(1), [new TestIdentity("carol", _builder).KeyAt(1)]);

        var filter = new SignatureFilter(_ledger, [good, bad, outOfTurn]);
        var verifiedAhead = _ledger.Signatures.Verifications;

        Assert.Equal(2, verifiedAhead); // the two in line; nothing for the one out of turn
        Assert.Equal(VerdictKind.Pass, Judge(filter, good, _pool).Kind);
        Assert.Equal(VerdictKind.Pass, Judge(filter, outOfTurn, _pool).Kind);
        Assert.Equal(verifiedAhead, _ledger.Signatures.Verifications);
        Assert.Equal(ErrorCode.BadSignature, Judge(filter, bad, _pool).Outcome.Result.Code);
    }

    [Fact]
    public void Waiting_passes_the_next_in_line_keeps_a_gap_as_orphan_a_run_as_queued_and_refuses_one_too_far_ahead()
    {
        var filter = new WaitingFilter(_ledger, new MempoolOptions { MaxSequenceAhead = 4 }, Now);
        var alice = new TestIdentity("alice", _builder);
        Commit(alice.Incept());
        var second = alice.Rotate();
        var third = alice.Rotate();
        Transaction last = third;
        for (var i = 0; i < 4; i++) last = alice.Rotate();

        Assert.Equal(VerdictKind.Pass, Judge(filter, second, _pool).Kind);
        var orphan = Judge(filter, third, _pool);
        Assert.Equal((VerdictKind.Keep, Standing.Orphan), (orphan.Kind, orphan.Standing));
        _pool.Run = [second];
        var queued = Judge(filter, third, _pool);
        Assert.Equal((VerdictKind.Keep, Standing.Queued), (queued.Kind, queued.Standing));
        var ahead = Judge(filter, last, _pool);
        Assert.Equal(ErrorCode.LimitExceeded, ahead.Outcome.Result.Code);
    }

    [Fact]
    public void Rules_keep_a_valid_transaction_ready_and_name_a_committed_one()
    {
        var filter = new RulesFilter(_ledger, Now);
        var alice = new TestIdentity("alice", _builder);
        var inception = alice.Incept();

        var fresh = Judge(filter, inception, _pool);
        Assert.Equal((VerdictKind.Keep, Standing.Ready), (fresh.Kind, fresh.Standing));
        Commit(inception);
        Assert.Equal(AdmitStatus.AlreadyCommitted, Judge(filter, inception, _pool).Outcome.Status);
    }

    [Fact]
    public void The_pipeline_lists_the_filters_in_their_order()
    {
        var pipeline = new AdmissionPipeline(_ledger, new MempoolOptions(), Now);

        Assert.Equal(["shape", "duplicate", "capacity"], pipeline.Screening.Select(f => f.Name));
        Assert.Equal(["duplicate", "signature", "waiting", "rules"], pipeline.Judging([]).Select(f => f.Name));
        Assert.Equal(AdmissionPipeline.FilterNames.Order(), pipeline.Screening.Concat(pipeline.Judging([])).Select(f => f.Name).Distinct().Order());
    }

    [Fact]
    public void The_pool_counts_each_refusal_under_the_filter_that_stopped_it()
    {
        var metrics = new RecordingMetrics();
        var pool = new TransactionPool(_ledger, new MempoolOptions()) { Metrics = metrics };
        var alice = new TestIdentity("alice", _builder).Incept();

        pool.AdmitBatch([alice, alice, WithBadSignature(new TestIdentity("bob", _builder).Incept()), new TestIdentity("x", new TransactionBuilder("other")).Incept()]);

        Assert.Equal(1, metrics.Admitted);
        Assert.Equal(["duplicate", "shape", "signature"], metrics.Stopped.Order());
    }

    private sealed class RecordingMetrics : IAdmissionMetrics
    {
        public List<string> Stopped { get; } = [];
        public int Admitted { get; private set; }

        void IAdmissionMetrics.Stopped(string filter, int count) => Stopped.AddRange(Enumerable.Repeat(filter, count));

        void IAdmissionMetrics.Admitted() => Admitted++;

        void IAdmissionMetrics.QueueDepth(int transactions)
        {
        }
    }

    private sealed class FakeView : IPendingView
    {
        public HashSet<Hash32> Pending { get; } = [];
        public Transaction? Holder { get; set; }
        public bool Full { get; set; }
        public Transaction[]? Run { get; set; }

        public bool IsPending(Hash32 hash) => Pending.Contains(hash);

        public Transaction? SlotHolder(Transaction tx) => Holder;

        public bool IsFullFor(int size, out AdmitOutcome full)
        {
            full = Full ? AdmitOutcome.Full("full") : default;
            return Full;
        }

        public Transaction[]? AdmissibleRun(IdentityId subject, ulong next, ulong sequence) => Run;
    }
}
