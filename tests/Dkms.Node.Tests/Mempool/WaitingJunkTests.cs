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

/// <summary>
/// An attacker floods the mempool with signed junk that can only wait (identities nobody incepted, sequences ahead of
/// an identity's next one): it must never take the place of valid transactions, never exceed its caps, never be
/// proposed. Blocks are executed and committed by hand, as the proposer would.
/// </summary>
public sealed class WaitingJunkTests
{
    private const string ChainId = "dkms-junk-tests";

    private readonly DkmsLedger _ledger;
    private readonly TransactionBuilder _builder = new(ChainId);
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    public WaitingJunkTests()
    {
        _ledger = DkmsLedger.Open(new MemoryStore(), new LedgerOptions(ChainId));
        var validator = Ed25519Signer.FromSeed(Hash32.Sha256("junk-tests-validator"u8).ToArray());
        _ledger.InitializeGenesis([new ValidatorEntry(validator.PublicKey, "127.0.0.1:26000", 1)]);
    }

    private ulong NowMs => (ulong)_time.GetUtcNow().ToUnixTimeMilliseconds();

    private TestIdentity Person(string name) => new(name, _builder);

    /// <summary>What a proposer does: reaps, keeps what the ledger accepts, commits it and tells the pool.</summary>
    private IReadOnlyList<Transaction> ProposeAndCommit(TransactionPool pool)
    {
        var candidates = pool.Reap(5_000, 1 << 24);
        var executed = _ledger.ExecuteAcceptable(_ledger.Height + 1, NowMs, candidates);
        _ledger.Commit(executed);
        pool.Update(executed.Accepted);
        return candidates;
    }

    private void CommitDirectly(TransactionPool pool, params Transaction[] txs)
    {
        var executed = _ledger.Execute(_ledger.Height + 1, NowMs, txs);
        Assert.True(executed.AllAccepted, string.Join("; ", executed.Results));
        _ledger.Commit(executed);
        pool.Update(executed.Accepted);
    }

    [Fact]
    public void A_seeded_flood_of_waiting_junk_never_displaces_valid_transactions_never_exceeds_its_caps_and_is_never_proposed()
    {
        const int poolSize = 400;
        const int junkCap = poolSize / 10; // a tenth of the pool
        const int perIdentityCap = 8; // "a handful"
        var pool = new TransactionPool(_ledger, new MempoolOptions { MaxTransactions = poolSize }, _time);
        var owners = Enumerable.Range(0, 30).Select(i => Person($"owner{i}")).ToArray();
        CommitDirectly(pool, [.. owners.Select(o => o.Incept())]);
        var junk = new WaitingJunk(_builder, seed: 15);
        var junkHashes = new HashSet<Hash32>();
        var junkSubjects = new Dictionary<Hash32, IdentityId>();
        var valid = new List<Transaction>();
        var newcomers = 0;

        for (var round = 0; round < 60; round++)
        {
            // Junk first: for unknown identities, ahead of the owners' sequences, behind their pending transactions.
            var known = owners.Select(o => (o.Id, o.Sequence)).ToList();
            var burst = Enumerable.Range(0, 40).Select(_ => junk.Next(known)).ToArray();
            foreach (var j in burst)
            {
                junkHashes.Add(j.Hash);
                junkSubjects[j.Hash] = j.Subject;
            }

            pool.AdmitBatch(burst);

            // Then valid transactions: some owners' next one (sometimes two in a row), newcomers' inceptions, and now and
            // then a newcomer's second transaction sent before its inception.
            var batch = new List<Transaction>();
            foreach (var owner in owners.Where(_ => junk.Next(4) == 0))
            {
                batch.Add(owner.Rotate());
                if (junk.Next(2) == 0) batch.Add(owner.Rotate());
            }

            var newcomer = Person($"newcomer{newcomers++}");
            var inception = newcomer.Incept();
            if (junk.Next(3) == 0) batch.AddRange([newcomer.Rotate(), inception]);
            else batch.Add(inception);

            var outcomes = pool.AdmitBatch(batch);
            for (var i = 0; i < batch.Count; i++)
            {
                Assert.True(outcomes[i].Status == AdmitStatus.Admitted, $"round {round}: a valid transaction got {outcomes[i].Status}: {outcomes[i].Result}");
            }

            valid.AddRange(batch);
            var heldJunk = junkHashes.Where(pool.Contains).ToList();
            Assert.True(heldJunk.Count <= junkCap, $"round {round}: {heldJunk.Count} junk transactions held, cap {junkCap}");
            var worst = heldJunk.GroupBy(h => junkSubjects[h]).Select(g => g.Count()).DefaultIfEmpty(0).Max();
            Assert.True(worst <= perIdentityCap, $"round {round}: one identity holds {worst} junk transactions");

            var proposed = ProposeAndCommit(pool);
            Assert.DoesNotContain(proposed, t => junkHashes.Contains(t.Hash));
            _time.Advance(TimeSpan.FromSeconds(1));
        }

        ProposeAndCommit(pool);
        Assert.All(valid, t => Assert.NotNull(_ledger.GetTransaction(t.Hash)));
    }

    [Fact]
    public void A_full_pool_makes_room_for_a_ready_transaction_of_a_known_identity_by_dropping_waiting_junk()
    {
        var pool = new TransactionPool(_ledger, new MempoolOptions { MaxTransactions = 50 }, _time);
        var alice = Person("alice");
        CommitDirectly(pool, alice.Incept());
        var fillers = Enumerable.Range(0, 45).Select(i => Person($"filler{i}").Incept()).ToArray();
        Assert.All(pool.AdmitBatch(fillers), o => Assert.Equal(AdmitStatus.Admitted, o.Status));
        var junk = new WaitingJunk(_builder, seed: 16);
        pool.AdmitBatch([.. Enumerable.Range(0, 20).Select(_ => junk.ForUnknownIdentity())]);

        var outcome = pool.Admit(alice.Rotate());

        Assert.Equal(AdmitStatus.Admitted, outcome.Status);
        Assert.True(pool.Count <= 50);
    }
}
