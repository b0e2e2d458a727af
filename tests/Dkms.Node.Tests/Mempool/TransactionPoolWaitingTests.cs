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

/// <summary>Transactions ahead of their identity's next sequence: queued behind admissible predecessors, or orphans
/// with their caps, their share of the pool, promotion and relay.</summary>
public sealed class TransactionPoolWaitingTests
{
    private const string ChainId = "dkms-waiting-tests";

    private readonly DkmsLedger _ledger;
    private readonly TransactionBuilder _builder = new(ChainId);
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly List<Transaction> _relayed = [];
    private readonly List<(Transaction Tx, TxResult Why)> _evicted = [];

    public TransactionPoolWaitingTests()
    {
        _ledger = DkmsLedger.Open(new MemoryStore(), new LedgerOptions(ChainId));
        var validator = Ed25519Signer.FromSeed(Hash32.Sha256("waiting-tests-validator"u8).ToArray());
        _ledger.InitializeGenesis([new ValidatorEntry(validator.PublicKey, "127.0.0.1:26000", 1)]);
    }

    private TransactionPool NewPool(MempoolOptions? options = null)
    {
        var pool = new TransactionPool(_ledger, options ?? new MempoolOptions(), _time);
        pool.Admissible += _relayed.AddRange;
        pool.Evicted += (tx, why) => _evicted.Add((tx, why));
        return pool;
    }

    private TestIdentity Person(string name) => new(name, _builder);

    private ulong NowMs => (ulong)_time.GetUtcNow().ToUnixTimeMilliseconds();

    private void CommitBlock(TransactionPool? pool, params Transaction[] txs)
    {
        var executed = _ledger.Execute(_ledger.Height + 1, NowMs, txs);
        Assert.True(executed.AllAccepted, string.Join("; ", executed.Results));
        _ledger.Commit(executed);
        pool?.Update(executed.Accepted);
    }

    [Fact]
    public void A_transaction_behind_pending_admissible_ones_is_queued_relayed_at_once_and_proposed_behind_them()
    {
        var pool = NewPool();
        var alice = Person("alice");
        CommitBlock(pool, alice.Incept());
        var second = alice.Rotate();
        var third = alice.Rotate();

        Assert.All(pool.AdmitBatch([second, third], relay: true), o => Assert.Equal(AdmitStatus.Admitted, o.Status));

        Assert.True(pool.IsWaiting(third.Hash));
        Assert.False(pool.IsOrphan(third.Hash));
        Assert.Equal([second.Hash, third.Hash], _relayed.Select(t => t.Hash));
        Assert.Equal([second.Hash, third.Hash], pool.Reap(100, 1 << 20).Select(t => t.Hash));
    }

    [Fact]
    public void An_orphan_is_not_relayed_nor_proposed_until_its_predecessor_comes_then_it_is_relayed_after_it()
    {
        var pool = NewPool();
        var alice = Person("alice");
        CommitBlock(pool, alice.Incept());
        var second = alice.Rotate();
        var third = alice.Rotate();

        Assert.Equal(AdmitStatus.Admitted, pool.Admit(third, relay: true).Status);
        Assert.True(pool.IsOrphan(third.Hash));
        Assert.Empty(_relayed);
        Assert.Empty(pool.Reap(100, 1 << 20));

        pool.Admit(second, relay: true);

        Assert.False(pool.IsOrphan(third.Hash));
        Assert.True(pool.IsWaiting(third.Hash));
        Assert.Equal([second.Hash, third.Hash], _relayed.Select(t => t.Hash));
        Assert.Equal([second.Hash, third.Hash], pool.Reap(100, 1 << 20).Select(t => t.Hash));
    }

    [Fact]
    public void An_orphan_whose_predecessor_commits_from_another_validator_becomes_ready_and_is_relayed()
    {
        var pool = NewPool();
        var alice = Person("alice");
        CommitBlock(pool, alice.Incept());
        var second = alice.Rotate(); // never reaches this pool: another validator proposed it
        var third = alice.Rotate();
        var fourth = alice.Rotate();
        pool.AdmitBatch([fourth, third], relay: true);
        Assert.True(pool.IsOrphan(third.Hash) && pool.IsOrphan(fourth.Hash));

        CommitBlock(pool, second);

        Assert.Equal(1, pool.ReadyCount);
        Assert.Equal(0, pool.OrphanCount);
        Assert.Equal([third.Hash, fourth.Hash], _relayed.Select(t => t.Hash));
    }

    [Fact]
    public void An_inceptions_next_transaction_sent_before_it_is_promoted_when_the_inception_arrives()
    {
        var pool = NewPool();
        var bob = Person("bob");
        var inception = bob.Incept();
        var rotation = bob.Rotate();

        var outcomes = pool.AdmitBatch([rotation, inception], relay: true);

        Assert.All(outcomes, o => Assert.Equal(AdmitStatus.Admitted, o.Status));
        Assert.Equal(0, pool.OrphanCount);
        Assert.Equal([inception.Hash, rotation.Hash], _relayed.Select(t => t.Hash));
        Assert.Equal([inception.Hash, rotation.Hash], pool.Reap(100, 1 << 20).Select(t => t.Hash));
    }

    [Fact]
    public void A_stranger_signed_transaction_behind_a_pending_one_is_refused_at_once_with_the_rule_it_breaks()
    {
        var pool = NewPool();
        var alice = Person("alice");
        CommitBlock(pool, alice.Incept());
        pool.Admit(alice.Rotate());
        var junk = new WaitingJunk(_builder, seed: 21).SignedByStranger(alice.Id, 3);

        var outcome = pool.Admit(junk);

        Assert.Equal(AdmitStatus.Rejected, outcome.Status);
        Assert.Contains(outcome.Result.Code, new[] { ErrorCode.ThresholdNotMet, ErrorCode.NextKeyMismatch });
        Assert.False(pool.Contains(junk.Hash));
    }

    [Fact]
    public void An_orphan_refused_in_its_place_once_its_predecessor_comes_is_evicted_with_the_rule_it_breaks()
    {
        var pool = NewPool();
        var alice = Person("alice");
        CommitBlock(pool, alice.Incept());
        var junk = new WaitingJunk(_builder, seed: 22).SignedByStranger(alice.Id, 3);
        pool.Admit(junk);
        Assert.True(pool.IsOrphan(junk.Hash));

        pool.Admit(alice.Rotate());

        Assert.False(pool.Contains(junk.Hash));
        var (tx, why) = Assert.Single(_evicted);
        Assert.Equal(junk.Hash, tx.Hash);
        Assert.Contains(why.Code, new[] { ErrorCode.ThresholdNotMet, ErrorCode.NextKeyMismatch });
    }

    [Fact]
    public void A_transaction_too_far_ahead_is_refused_with_LimitExceeded()
    {
        var pool = NewPool(new MempoolOptions { MaxSequenceAhead = 3 });
        var alice = Person("alice");
        CommitBlock(pool, alice.Incept());
        var junk = new WaitingJunk(_builder, seed: 23);

        var fourAhead = pool.Admit(junk.SignedByStranger(alice.Id, 2 + 4));
        var threeAhead = pool.Admit(junk.SignedByStranger(alice.Id, 2 + 3));

        Assert.Equal(AdmitStatus.Rejected, fourAhead.Status);
        Assert.Equal(ErrorCode.LimitExceeded, fourAhead.Result.Code);
        Assert.Contains("ahead", fourAhead.Result.Message, StringComparison.Ordinal);
        Assert.Equal(AdmitStatus.Admitted, threeAhead.Status);
    }

    [Fact]
    public void An_identity_keeps_only_a_handful_of_orphans()
    {
        var pool = NewPool(new MempoolOptions { MaxOrphansPerIdentity = 2 });
        var junk = new WaitingJunk(_builder, seed: 24);
        var ghost = junk.RandomIdentity();
        var txs = Enumerable.Range(0, 3).Select(i => junk.SignedByStranger(ghost, (ulong)(2 + i))).ToArray();

        var outcomes = pool.AdmitBatch(txs);

        Assert.Equal([AdmitStatus.Admitted, AdmitStatus.Admitted, AdmitStatus.Rejected], outcomes.Select(o => o.Status));
        Assert.Equal(ErrorCode.LimitExceeded, outcomes[2].Result.Code);
        Assert.True(pool.TryGetRejection(txs[2].Hash, out var remembered));
        Assert.Equal(ErrorCode.LimitExceeded, remembered.Code);
    }

    [Fact]
    public void When_the_orphans_share_is_used_up_the_oldest_orphan_makes_way_and_its_status_says_resubmit()
    {
        var pool = NewPool(new MempoolOptions { MaxTransactions = 30 }); // 3 orphans
        var junk = new WaitingJunk(_builder, seed: 25);
        var orphans = Enumerable.Range(0, 4).Select(_ => junk.ForUnknownIdentity()).ToArray();

        Assert.All(pool.AdmitBatch(orphans), o => Assert.Equal(AdmitStatus.Admitted, o.Status));

        Assert.Equal(3, pool.OrphanCount);
        Assert.False(pool.Contains(orphans[0].Hash));
        Assert.All(orphans[1..], t => Assert.True(pool.Contains(t.Hash)));
        Assert.True(pool.TryGetRejection(orphans[0].Hash, out var why, out var mempoolFull));
        Assert.True(mempoolFull);
        Assert.Equal(ErrorCode.LimitExceeded, why.Code);
        Assert.Equal(orphans[0].Hash, Assert.Single(_evicted).Tx.Hash);
    }

    [Fact]
    public void Orphans_do_not_count_against_the_room_for_admissible_transactions()
    {
        var pool = NewPool(new MempoolOptions { MaxTransactions = 10 });
        var junk = new WaitingJunk(_builder, seed: 26);
        pool.AdmitBatch([junk.ForUnknownIdentity()]);
        var fillers = Enumerable.Range(0, 9).Select(i => Person($"filler{i}").Incept()).ToArray();
        pool.AdmitBatch(fillers);
        Assert.Equal(10, pool.Count);

        Assert.Equal(1, pool.Room.Count);
        Assert.Equal(AdmitStatus.Admitted, pool.Admit(Person("last").Incept()).Status);
        Assert.Equal(0, pool.OrphanCount);
        Assert.Equal(AdmitStatus.Full, pool.Admit(Person("one-too-many").Incept()).Status);
        // An orphan in a pool full of admissible transactions is refused for room like any other.
        Assert.Equal(AdmitStatus.Full, pool.Admit(junk.ForUnknownIdentity()).Status);
    }

    [Fact]
    public void Queued_transactions_behind_one_evicted_without_committing_lose_their_place_and_are_never_proposed()
    {
        var pool = NewPool();
        var alice = Person("alice");
        CommitBlock(pool, alice.Incept());
        var second = alice.Rotate();
        var third = alice.Rotate();
        var fourth = alice.Rotate();
        // Another transaction with sequence 2, signed with alice's current key, commits instead of her rotation.
        var rival = _builder.AddKeyAgreementKey(alice.Id, 2, new KeyAgreementKeyEntry("enc-1", Person("x").KeyAt(0).PublicKey, "encryption"), [alice.KeyAt(0)]);
        pool.AdmitBatch([second, third, fourth]);
        Assert.False(pool.IsOrphan(fourth.Hash));

        CommitBlock(pool, rival);

        // The rotation lost its sequence; the next one cannot follow the rival (it reveals keys never committed to) and
        // is evicted in its place; the last has no run left.
        Assert.False(pool.Contains(second.Hash));
        Assert.False(pool.Contains(third.Hash));
        Assert.Equal(ErrorCode.NextKeyMismatch, _evicted.Single(e => e.Tx.Hash == third.Hash).Why.Code);
        Assert.True(pool.IsOrphan(fourth.Hash));
        Assert.Empty(pool.Reap(100, 1 << 20));
    }
}
