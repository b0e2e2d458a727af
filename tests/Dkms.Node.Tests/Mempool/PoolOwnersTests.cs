using System.Collections.Concurrent;
using Dkms.Client;
using Dkms.Core.Crypto;
using Dkms.Core.Genesis;
using Dkms.Core.Primitives;
using Dkms.Core.Transactions;
using Dkms.Ledger;
using Dkms.Node.Mempool;
using Dkms.Node.Networking;
using Dkms.Node.Supervision;
using Dkms.Node.Tests.Support;
using Dkms.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Dkms.Node.Tests.Mempool;

/// <summary>
/// The pool has two owners (docs/architecture.md, "The pool's two owners"): the admission writer (admission, expiry)
/// and the consensus loop (the update after a commit, the recheck of what a proposal could not take). Every change and
/// every event of the pool happens in one of their turns; nothing else changes it, and sync admission on a node not
/// started is answered, not left hanging.
/// </summary>
public sealed class PoolOwnersTests
{
    private const string ChainId = "dkms-pool-owners-tests";
    // A bound against a hang only; nothing is asserted about how long anything takes.
    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(30);
    private static readonly DateTimeOffset Start = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly TransactionBuilder _builder = new(ChainId);

    /// <summary>A validator whose genesis has a second validator that never runs: it admits and expires, but never
    /// commits, so whatever changes its pool is admission or expiry, not a commit's update.</summary>
    private static ValidatorNode NewNode(TimeProvider time)
    {
        var key = Ed25519Signer.FromSeed(Hash32.Sha256("pool-owners-validator"u8).ToArray());
        var absent = Ed25519Signer.FromSeed(Hash32.Sha256("pool-owners-absent"u8).ToArray());
        var genesis = new GenesisDocument
        {
            ChainId = ChainId,
            Validators =
            [
                new GenesisValidator { Name = "v0", NodeKey = key.PublicKey.ToHex(), Address = "127.0.0.1:26801", Power = 1 },
                new GenesisValidator { Name = "v1", NodeKey = absent.PublicKey.ToHex(), Address = "127.0.0.1:26802", Power = 1 },
            ],
        };
        return new ValidatorNode(genesis, new NodeSettings { Storage = "memory" }, key, new MemoryStore(), new InMemoryPeerHub().Join(key.PublicKey),
            NullLoggerFactory.Instance, time);
    }

    /// <summary>A transaction waiting for a predecessor nobody has: an orphan, expired after the waiting timeout.</summary>
    private Transaction Orphan(string name)
    {
        var identity = new TestIdentity(name, _builder);
        identity.Incept(); // never submitted
        return identity.Rotate();
    }

    [Fact]
    public async Task Expiry_evicts_in_the_admission_writers_turn_not_on_the_clocks_callback()
    {
        var time = new FakeTimeProvider(Start);
        await using var node = NewNode(time);
        node.Start();
        var orphan = Orphan("expiring");
        Assert.Equal(AdmitStatus.Admitted, node.Admit([orphan])[0].Status);
        Assert.True(node.Pool.IsOrphan(orphan.Hash));
        var owners = new ConcurrentQueue<PoolOwner>();
        var evicted = new TaskCompletionSource<TxResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        node.Pool.Evicted += (tx, why) =>
        {
            owners.Enqueue(PoolOwnership.Current);
            if (tx.Hash == orphan.Hash) evicted.TrySetResult(why);
        };

        // The clock's callbacks run here, on the test's thread, inside Advance: a pool changed from them would be
        // changed outside both owners.
        time.Advance(TimeSpan.FromMilliseconds(node.Settings.Mempool.WaitingTimeoutMs) + TimeSpan.FromSeconds(5));

        var why = await evicted.Task.WaitAsync(Hang);
        Assert.Contains("never came", why.Message);
        Assert.False(node.Pool.Contains(orphan.Hash));
        Assert.All(owners, o => Assert.Equal(PoolOwner.Admission, o));
    }

    [Fact]
    public async Task Sync_admit_on_a_node_not_started_is_answered_by_the_writer()
    {
        await using var node = NewNode(TimeProvider.System);
        var tx = new TestIdentity("before-start", _builder).Incept();
        var owners = new ConcurrentQueue<PoolOwner>();
        node.Pool.Added += _ => owners.Enqueue(PoolOwnership.Current);

        // Off the test's thread: a call that hangs fails the bound instead of the test run.
        var outcomes = await Task.Run(() => node.Admit([tx])).WaitAsync(Hang);

        Assert.Equal(AdmitStatus.Admitted, outcomes[0].Status);
        Assert.True(node.Pool.Contains(tx.Hash));
        Assert.Equal([PoolOwner.Admission], owners);
        // Refused ones are answered too.
        var (forged, _) = _builder.Inception(new TestIdentity("forged", _builder).ConfigAt(0), [Ed25519Signer.FromSeed(new byte[32])]);
        Assert.Equal(AdmitStatus.Rejected, (await Task.Run(() => node.Admit([forged])).WaitAsync(Hang))[0].Status);

        // Start finds the writer running and keeps it (a second "admission" loop would throw in the supervisor).
        node.Start();
        var after = new TestIdentity("after-start", _builder).Incept();
        Assert.Equal(AdmitStatus.Admitted, (await node.AdmitAsync([after]).WaitAsync(Hang))[0].Status);
        Assert.Contains(node.Supervisor.Loops, l => l.Name == "admission" && l.State == LoopState.Running);
    }

    [Fact]
    public async Task Sync_admit_on_a_stopped_node_is_answered_mempool_full()
    {
        var node = NewNode(TimeProvider.System);
        await node.DisposeAsync();

        var outcomes = await Task.Run(() => node.Admit([new TestIdentity("after-stop", _builder).Incept()])).WaitAsync(Hang);

        Assert.Equal(AdmitStatus.Full, outcomes[0].Status);
        Assert.DoesNotContain(node.Supervisor.Loops, l => l.Name == "admission");
    }

    [Fact]
    public void A_pool_with_a_writer_takes_changes_only_in_its_two_owners_turns()
    {
        var time = new FakeTimeProvider(Start);
        using var store = new MemoryStore();
        var ledger = DkmsLedger.Open(store, new LedgerOptions(ChainId));
        var pool = new TransactionPool(ledger, new MempoolOptions(), time);
        _ = new AdmissionWriter(pool, 10, time, NullLogger.Instance);
        var tx = new TestIdentity("owned", _builder).Incept();

        Assert.Throws<InvalidOperationException>(() => pool.Admit(tx));
        Assert.Throws<InvalidOperationException>(pool.ExpireWaiting);
        Assert.Throws<InvalidOperationException>(() => pool.Update([]));
        Assert.Throws<InvalidOperationException>(() => pool.Recheck([tx]));
        using (PoolOwnership.Enter(PoolOwner.Consensus))
        {
            // Consensus does not admit.
            Assert.Throws<InvalidOperationException>(() => pool.Admit(tx));
        }

        Assert.Equal(0, pool.Count);
        using (PoolOwnership.Enter(PoolOwner.Admission))
        {
            Assert.Equal(AdmitStatus.Admitted, pool.Admit(tx).Status);
            pool.ExpireWaiting();
            // Admission does not commit.
            Assert.Throws<InvalidOperationException>(() => pool.Update([tx]));
        }

        using (PoolOwnership.Enter(PoolOwner.Consensus))
        {
            pool.Recheck([tx]);
            pool.Update([]);
        }

        Assert.Equal(PoolOwner.None, PoolOwnership.Current);
        Assert.True(pool.Contains(tx.Hash));
    }

    [Fact]
    public void A_pool_without_a_writer_is_a_plain_structure_for_tests_and_tools()
    {
        using var store = new MemoryStore();
        var ledger = DkmsLedger.Open(store, new LedgerOptions(ChainId));
        var pool = new TransactionPool(ledger, new MempoolOptions(), new FakeTimeProvider(Start));
        var tx = new TestIdentity("plain", _builder).Incept();

        Assert.Equal(AdmitStatus.Admitted, pool.Admit(tx).Status);
        pool.Update([tx]);
        Assert.False(pool.Contains(tx.Hash));
    }

    [Fact]
    public void Submissions_in_the_ledger_simulation_are_admitted_by_the_writer()
    {
        using var net = new LedgerNet(n: 4, running: 4, seed: 7);
        var owners = new ConcurrentQueue<PoolOwner>();
        foreach (var app in net.Apps) app.Pool.Added += _ => owners.Enqueue(PoolOwnership.Current);
        var alice = new TestIdentity("alice", new TransactionBuilder(LedgerNet.ChainId));

        net.Submit(alice.Incept());
        Assert.True(net.RunUntil(() => net.Apps.All(a => a.Ledger.GetIdentity(alice.Id) is not null), TimeSpan.FromSeconds(10)));
        net.Submit(alice.Rotate());
        Assert.True(net.RunUntil(() => net.Apps.All(a => a.Ledger.GetIdentity(alice.Id)!.Sequence == 2 && a.Pool.Count == 0), TimeSpan.FromSeconds(10)));

        Assert.Equal(Enumerable.Repeat(PoolOwner.Admission, 4 * 2), owners);
    }
}
