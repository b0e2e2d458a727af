using Dkms.Client;
using Dkms.Core.Crypto;
using Dkms.Core.Primitives;
using Dkms.Core.Transactions;
using Dkms.Ledger;
using Dkms.Node.Mempool;
using Dkms.Node.Tests.Support;
using Dkms.Storage;
using Microsoft.Extensions.Time.Testing;

namespace Dkms.Node.Tests.Mempool;

/// <summary>The mempool on a ledger over an in-memory store; blocks are executed and committed by hand.</summary>
public sealed class TransactionPoolTests
{
    private const string ChainId = "dkms-pool-tests";

    private readonly DkmsLedger _ledger;
    private readonly TransactionBuilder _builder = new(ChainId);
    private ulong _blockTime = 1_000;

    public TransactionPoolTests()
    {
        _ledger = DkmsLedger.Open(new MemoryStore(), new LedgerOptions(ChainId));
        var validator = Ed25519Signer.FromSeed(Hash32.Sha256("pool-tests-validator"u8).ToArray());
        _ledger.InitializeGenesis([new ValidatorEntry(validator.PublicKey, "127.0.0.1:26000", 1)]);
    }

    private TransactionPool NewPool(MempoolOptions? options = null) => new(_ledger, options ?? new MempoolOptions());

    /// <summary>A pool on a fake clock, transactions waiting for a predecessor expiring after 30 s.</summary>
    private (TransactionPool Pool, FakeTimeProvider Time) PoolWithClock()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        return (new TransactionPool(_ledger, new MempoolOptions { WaitingTimeoutMs = 30_000 }, time), time);
    }

    private TestIdentity Person(string name) => new(name, _builder);

    /// <summary>Executes and commits <paramref name="txs"/> as the next block, then tells the pool, as the node does.</summary>
    private IReadOnlyList<Transaction> CommitBlock(TransactionPool? pool, params Transaction[] txs)
    {
        _blockTime += 1_000;
        var executed = _ledger.Execute(_ledger.Height + 1, _blockTime, txs);
        Assert.True(executed.AllAccepted, string.Join("; ", executed.Results));
        _ledger.Commit(executed);
        pool?.Update(executed.Accepted);
        return executed.Accepted;
    }

    /// <summary>The same transaction with one byte of its last signature changed (the encoding stays canonical).</summary>
    private static Transaction WithBadSignature(Transaction tx)
    {
        var bytes = tx.Encoded.ToArray();
        bytes[^2] ^= 0x01; // the last byte of the signature; the envelope ends with the signer (nil)
        Assert.True(TransactionCodec.TryDecode(bytes, out var bad, out var error), error.ToString());
        return bad!;
    }

    [Fact]
    public void A_valid_transaction_is_admitted_and_counted()
    {
        var pool = NewPool();
        var tx = Person("alice").Incept();

        var outcome = pool.Admit(tx);

        Assert.Equal(AdmitStatus.Admitted, outcome.Status);
        Assert.True(outcome.IsAccepted);
        Assert.True(pool.Contains(tx.Hash));
        Assert.Equal(1, pool.Count);
        Assert.Equal(tx.Encoded.Length, pool.Bytes);
    }

    [Fact]
    public void Admission_raises_Added_with_the_new_transactions_only()
    {
        var pool = NewPool();
        var added = new List<Transaction>();
        pool.Added += added.AddRange;
        var a = Person("a").Incept();
        var b = Person("b").Incept();

        pool.AdmitBatch([a, WithBadSignature(Person("c").Incept()), b]);
        pool.Admit(a);

        Assert.Equal([a.Hash, b.Hash], added.Select(t => t.Hash));
    }

    [Fact]
    public void A_transaction_with_a_bad_signature_is_rejected_with_the_ledger_code_and_remembered()
    {
        var pool = NewPool();
        var bad = WithBadSignature(Person("alice").Incept());

        var outcome = pool.Admit(bad);

        Assert.Equal(AdmitStatus.Rejected, outcome.Status);
        Assert.Equal(ErrorCode.BadSignature, outcome.Result.Code);
        Assert.False(string.IsNullOrEmpty(outcome.Result.Message));
        Assert.False(pool.Contains(bad.Hash));
        Assert.Equal(0, pool.Count);
        Assert.True(pool.TryGetRejection(bad.Hash, out var remembered));
        Assert.Equal(ErrorCode.BadSignature, remembered.Code);
    }

    [Fact]
    public void A_transaction_for_another_chain_is_rejected_as_WrongChain()
    {
        var pool = NewPool();
        var tx = new TestIdentity("alice", new TransactionBuilder("another-chain")).Incept();

        var outcome = pool.Admit(tx);

        Assert.Equal(AdmitStatus.Rejected, outcome.Status);
        Assert.Equal(ErrorCode.WrongChain, outcome.Result.Code);
    }

    [Fact]
    public void A_transaction_that_breaks_a_rule_is_rejected_with_that_rule_code()
    {
        var pool = NewPool();
        var alice = Person("alice");
        CommitBlock(pool, alice.Incept());
        // Signed by a key that is not alice's.
        var forged = _builder.AddKeyAgreementKey(alice.Id, 2, new KeyAgreementKeyEntry("enc-1", PublicKeyOf("enc"), "encryption"), [Person("mallory").KeyAt(0)]);

        var outcome = pool.Admit(forged);

        Assert.Equal(AdmitStatus.Rejected, outcome.Status);
        Assert.Equal(ErrorCode.ThresholdNotMet, outcome.Result.Code);
        Assert.False(pool.Contains(forged.Hash));
    }

    [Fact]
    public void The_same_transaction_twice_is_kept_once()
    {
        var pool = NewPool();
        var tx = Person("alice").Incept();

        var first = pool.Admit(tx);
        var second = pool.Admit(tx);
        var inOneBatch = NewPool().AdmitBatch([tx, tx]);

        Assert.Equal(AdmitStatus.Admitted, first.Status);
        Assert.Equal(AdmitStatus.AlreadyPending, second.Status);
        Assert.True(second.IsAccepted);
        Assert.Equal(1, pool.Count);
        Assert.Equal(tx.Encoded.Length, pool.Bytes);
        Assert.Equal([AdmitStatus.Admitted, AdmitStatus.AlreadyPending], inOneBatch.Select(o => o.Status));
    }

    [Fact]
    public void A_committed_transaction_is_reported_as_already_committed_and_not_kept()
    {
        var pool = NewPool();
        var tx = Person("alice").Incept();
        CommitBlock(null, tx);

        var outcome = pool.Admit(tx);

        Assert.Equal(AdmitStatus.AlreadyCommitted, outcome.Status);
        Assert.True(outcome.IsAccepted);
        Assert.Equal(0, pool.Count);
        Assert.False(pool.TryGetRejection(tx.Hash, out _));
    }

    [Fact]
    public void The_pool_is_bounded_by_count_and_answers_Full()
    {
        var pool = NewPool(new MempoolOptions { MaxTransactions = 2 });
        var txs = Enumerable.Range(0, 4).Select(i => Person($"p{i}").Incept()).ToArray();

        var outcomes = pool.AdmitBatch(txs);

        Assert.Equal([AdmitStatus.Admitted, AdmitStatus.Admitted, AdmitStatus.Full, AdmitStatus.Full], outcomes.Select(o => o.Status));
        Assert.False(outcomes[2].IsAccepted);
        Assert.Contains("full", outcomes[2].Result.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(2, pool.Count);
        Assert.False(pool.Contains(txs[3].Hash));
        Assert.Equal(AdmitStatus.Full, pool.Admit(Person("late").Incept()).Status);
    }

    [Fact]
    public void The_pool_is_bounded_by_bytes_and_answers_Full()
    {
        var txs = Enumerable.Range(0, 3).Select(i => Person($"p{i}").Incept()).ToArray();
        var limit = txs[0].Encoded.Length + txs[1].Encoded.Length; // room for exactly two
        var pool = NewPool(new MempoolOptions { MaxBytes = limit });

        var outcomes = pool.AdmitBatch(txs);

        Assert.Equal([AdmitStatus.Admitted, AdmitStatus.Admitted, AdmitStatus.Full], outcomes.Select(o => o.Status));
        Assert.Equal(limit, pool.Bytes);
        Assert.Equal(2, pool.Count);
    }

    [Fact]
    public void Room_made_by_a_commit_lets_new_transactions_in()
    {
        var pool = NewPool(new MempoolOptions { MaxTransactions = 1 });
        var a = Person("a").Incept();
        var b = Person("b").Incept();
        pool.Admit(a);
        Assert.Equal(AdmitStatus.Full, pool.Admit(b).Status);

        CommitBlock(pool, a);

        Assert.Equal(0, pool.Count);
        Assert.Equal(AdmitStatus.Admitted, pool.Admit(b).Status);
    }

    [Fact]
    public void Reap_gives_each_identity_its_transactions_in_sequence_order_even_if_they_arrived_out_of_order()
    {
        var pool = NewPool();
        var alice = Person("alice");
        var bob = Person("bob");
        CommitBlock(pool, alice.Incept(), bob.Incept());
        var a2 = alice.Rotate();
        var a3 = alice.Rotate();
        var a4 = alice.AddKeyAgreementKey("enc-1", PublicKeyOf("alice-enc"));
        var b2 = bob.Rotate();

        // alice's 4 and 3 arrive before her 2; bob's 2 in between.
        var outcomes = pool.AdmitBatch([a4, a3, b2, a2]);

        Assert.All(outcomes, o => Assert.Equal(AdmitStatus.Admitted, o.Status));
        var reaped = pool.Reap(100, 1 << 20);
        Assert.Equal([a2.Hash, a3.Hash, a4.Hash, b2.Hash], reaped.Select(t => t.Hash));
        Assert.True(_ledger.Execute(_ledger.Height + 1, _blockTime + 1, reaped).AllAccepted);
    }

    [Fact]
    public void Reap_respects_the_count_and_byte_limits()
    {
        var pool = NewPool();
        var txs = Enumerable.Range(0, 5).Select(i => Person($"p{i}").Incept()).ToArray();
        pool.AdmitBatch(txs);

        Assert.Equal(txs.Take(3).Select(t => t.Hash), pool.Reap(3, 1 << 20).Select(t => t.Hash));
        Assert.Equal(txs.Take(2).Select(t => t.Hash), pool.Reap(100, txs[0].Encoded.Length + txs[1].Encoded.Length).Select(t => t.Hash));
        Assert.Equal(5, pool.Count); // reaping does not remove
    }

    [Fact]
    public void A_future_sequence_transaction_waits_for_its_predecessor_and_goes_out_after_it_commits()
    {
        var pool = NewPool();
        var alice = Person("alice");
        CommitBlock(pool, alice.Incept());
        var a2 = alice.Rotate();
        var a3 = alice.Rotate();

        Assert.Equal(AdmitStatus.Admitted, pool.Admit(a3).Status);
        Assert.True(pool.Contains(a3.Hash));
        // Only its predecessor can go into the next block; the proposer's check leaves it waiting.
        pool.Recheck([a3]);
        Assert.True(pool.Contains(a3.Hash));

        pool.Admit(a2);
        CommitBlock(pool, a2);

        Assert.False(pool.Contains(a2.Hash));
        Assert.True(pool.Contains(a3.Hash));
        Assert.Equal([a3.Hash], pool.Reap(100, 1 << 20).Select(t => t.Hash));
        CommitBlock(pool, a3);
        Assert.Equal(0, pool.Count);
        Assert.Equal(0, pool.Bytes);
    }

    [Fact]
    public void A_rotation_waits_for_the_inception_pending_in_the_same_pool()
    {
        var pool = NewPool();
        var alice = Person("alice");
        var inception = alice.Incept();
        var rotation = alice.Rotate();

        var outcomes = pool.AdmitBatch([inception, rotation]);

        Assert.Equal([AdmitStatus.Admitted, AdmitStatus.Admitted], outcomes.Select(o => o.Status));
        var reaped = pool.Reap(100, 1 << 20);
        Assert.Equal([inception.Hash, rotation.Hash], reaped.Select(t => t.Hash));
        Assert.Equal(2, _ledger.SelectAcceptable(reaped).Count);
    }

    [Fact]
    public void A_later_transaction_of_an_identity_not_incepted_yet_waits_and_is_rejected_as_unknown_when_its_wait_expires()
    {
        var (pool, time) = PoolWithClock();
        var ghost = Person("ghost");
        ghost.Incept(); // never submitted: its inception may still be on its way from another validator
        var rotation = ghost.Rotate();

        Assert.Equal(AdmitStatus.Admitted, pool.Admit(rotation).Status);
        Assert.Equal(0, pool.ReadyCount);

        time.Advance(TimeSpan.FromSeconds(31));
        CommitBlock(pool, Person("someone").Incept());

        Assert.False(pool.Contains(rotation.Hash));
        Assert.True(pool.TryGetRejection(rotation.Hash, out var why));
        Assert.Equal(ErrorCode.UnknownIdentity, why.Code);
    }

    [Fact]
    public void On_an_idle_chain_a_waiting_transaction_expires_when_its_wait_is_over_and_not_before()
    {
        var (pool, time) = PoolWithClock();
        var alice = Person("alice");
        CommitBlock(pool, alice.Incept());
        alice.Rotate(); // sequence 2, never submitted
        var third = alice.Rotate();
        Assert.Equal(AdmitStatus.Admitted, pool.Admit(third).Status);

        time.Advance(TimeSpan.FromSeconds(29));
        pool.ExpireWaiting();
        Assert.True(pool.Contains(third.Hash));

        time.Advance(TimeSpan.FromSeconds(2));
        pool.ExpireWaiting();
        Assert.False(pool.Contains(third.Hash));
        Assert.True(pool.TryGetRejection(third.Hash, out var why));
        Assert.Equal(ErrorCode.BadSequence, why.Code);
    }

    [Fact]
    public void A_waiting_transaction_whose_predecessor_is_pending_does_not_expire_behind_a_backlog()
    {
        var (pool, time) = PoolWithClock();
        var alice = Person("alice");
        CommitBlock(pool, alice.Incept());
        var second = alice.Rotate();
        var third = alice.Rotate();
        Assert.All(pool.AdmitBatch([second, third]), o => Assert.Equal(AdmitStatus.Admitted, o.Status));

        time.Advance(TimeSpan.FromSeconds(31)); // no block in all that time
        pool.ExpireWaiting();

        Assert.True(pool.Contains(third.Hash));
        CommitBlock(pool, second, third);
        Assert.Equal(0, pool.Count);
    }

    [Fact]
    public void A_waiting_run_behind_a_missing_transaction_expires_together()
    {
        var (pool, time) = PoolWithClock();
        var alice = Person("alice");
        CommitBlock(pool, alice.Incept());
        alice.Rotate(); // sequence 2, never submitted
        var third = alice.Rotate();
        var fourth = alice.Rotate();
        Assert.All(pool.AdmitBatch([third, fourth]), o => Assert.Equal(AdmitStatus.Admitted, o.Status));

        time.Advance(TimeSpan.FromSeconds(31));
        pool.ExpireWaiting();

        Assert.False(pool.Contains(third.Hash));
        Assert.False(pool.Contains(fourth.Hash));
    }

    [Fact]
    public void A_governance_transaction_is_judged_behind_the_pending_one_before_it_and_refused_when_it_cannot_follow()
    {
        var pool = NewPool();
        var validator = Ed25519Signer.FromSeed(Hash32.Sha256("pool-tests-validator"u8).ToArray());
        Transaction Change(ulong sequence, string address) => TransactionCodec.Sign(
            new TxBody(ChainId, Governance.Subject, sequence, new SetValidatorsPayload([new ValidatorEntry(validator.PublicKey, address, 1)])),
            [(validator, (IdentityId?)null)]);
        var first = Change(1, "127.0.0.1:26001");
        var second = Change(2, "127.0.0.1:26002");

        var outcomes = pool.AdmitBatch([first, second]);

        // A second change while the first waits for its height can never follow it: refused at once, not kept waiting
        // until its timeout.
        Assert.Equal(AdmitStatus.Admitted, outcomes[0].Status);
        Assert.Equal(AdmitStatus.Rejected, outcomes[1].Status);
        Assert.Equal(ErrorCode.InvalidParameters, outcomes[1].Result.Code);
        Assert.False(pool.Contains(second.Hash));
        CommitBlock(pool, first);
        Assert.Equal(0, pool.Count);
    }

    [Fact]
    public void A_pool_holding_only_waiting_transactions_has_nothing_ready_for_a_block()
    {
        var pool = NewPool();
        var alice = Person("alice");
        CommitBlock(pool, alice.Incept());
        alice.Rotate(); // sequence 2, never submitted
        var third = alice.Rotate();

        Assert.Equal(AdmitStatus.Admitted, pool.Admit(third).Status);

        Assert.Equal(1, pool.Count);
        Assert.Equal(0, pool.ReadyCount);
    }

    [Fact]
    public void After_each_commit_the_next_transaction_of_an_identity_becomes_ready_and_the_later_ones_keep_waiting()
    {
        var pool = NewPool();
        var alice = Person("alice");
        CommitBlock(pool, alice.Incept());
        var chain = Enumerable.Range(0, 4).Select(_ => alice.Rotate()).ToArray(); // sequences 2..5
        Assert.All(pool.AdmitBatch(chain), o => Assert.Equal(AdmitStatus.Admitted, o.Status));
        Assert.Equal(1, pool.ReadyCount);

        for (var i = 0; i < chain.Length; i++)
        {
            Assert.False(pool.IsWaiting(chain[i].Hash));
            Assert.All(chain[(i + 1)..], t => Assert.True(pool.IsWaiting(t.Hash)));
            Assert.Equal(1, pool.ReadyCount);
            CommitBlock(pool, chain[i]);
        }

        Assert.Equal(0, pool.Count);
    }

    [Fact]
    public void Update_after_a_commit_removes_the_committed_and_evicts_what_became_invalid()
    {
        var pool = NewPool();
        var evicted = new List<(Transaction Tx, TxResult Why)>();
        pool.Evicted += (tx, why) => evicted.Add((tx, why));
        var alice = Person("alice");
        var bob = Person("bob");
        CommitBlock(pool, alice.Incept(), bob.Incept());
        var rotation = alice.Rotate();
        // A different transaction with the same sequence, valid now: the pool keeps one per sequence, so it is refused…
        var conflicting = new TransactionBuilder(ChainId).AddKeyAgreementKey(alice.Id, 2,
            new KeyAgreementKeyEntry("enc-1", PublicKeyOf("alice-enc"), "encryption"), [alice.KeyAt(0)]);
        var bobs = bob.Rotate();
        var outcomes = pool.AdmitBatch([rotation, conflicting, bobs]);
        Assert.Equal([AdmitStatus.Admitted, AdmitStatus.Rejected, AdmitStatus.Admitted], outcomes.Select(o => o.Status));
        Assert.Equal(ErrorCode.BadSequence, outcomes[1].Result.Code);

        // …and a pending one the block made invalid (here: another node's block took its sequence) is evicted.
        var bobsConflict = new TransactionBuilder(ChainId).AddKeyAgreementKey(bob.Id, 2,
            new KeyAgreementKeyEntry("enc-1", PublicKeyOf("bob-enc"), "encryption"), [bob.KeyAt(0)]);
        CommitBlock(pool, rotation, bobsConflict);

        Assert.False(pool.Contains(rotation.Hash));
        Assert.False(pool.Contains(bobs.Hash));
        Assert.Equal(0, pool.Count);
        Assert.Equal(0, pool.Bytes);
        var (tx, why) = Assert.Single(evicted);
        Assert.Equal(bobs.Hash, tx.Hash);
        Assert.Equal(ErrorCode.BadSequence, why.Code);
        Assert.True(pool.TryGetRejection(bobs.Hash, out var remembered));
        Assert.Equal(ErrorCode.BadSequence, remembered.Code);
    }

    [Fact]
    public void Signatures_are_verified_once_at_admission_and_not_again_in_the_block()
    {
        var pool = NewPool();
        var txs = Enumerable.Range(0, 40).Select(i => Person($"p{i}").Incept()).ToArray();
        var before = _ledger.Signatures.Verifications;

        pool.AdmitBatch(txs);
        var afterAdmission = _ledger.Signatures.Verifications;
        pool.AdmitBatch(txs); // duplicates: not verified again
        var reaped = pool.Reap(100, 1 << 20);
        Assert.Equal(txs.Length, _ledger.SelectAcceptable(reaped).Count);
        CommitBlock(pool, [.. reaped]);

        Assert.Equal(txs.Length, afterAdmission - before);
        Assert.Equal(afterAdmission, _ledger.Signatures.Verifications);
        Assert.Equal(0, pool.Count);
    }

    private static PublicKey PublicKeyOf(string seed) => Ed25519Signer.FromSeed(Hash32.Sha256(System.Text.Encoding.UTF8.GetBytes(seed)).ToArray()).PublicKey;
}
