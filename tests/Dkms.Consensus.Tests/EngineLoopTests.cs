using Dkms.Consensus.InMemory;
using Dkms.Core.Blocks;
using Dkms.Core.Crypto;
using Dkms.Core.Primitives;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dkms.Consensus.Tests;

/// <summary>The production driver: one loop task over a bounded channel, real timers.</summary>
public sealed class EngineLoopTests
{
    private sealed class NoPeers : ITransport
    {
        public void Send(PublicKey peer, byte[] message) { }

        public void Broadcast(byte[] message) { }
    }

    [Fact]
    public async Task A_single_validator_engine_commits_through_its_channel_loop()
    {
        using var signer = Ed25519Signer.FromSeed(TestNet.Seed(0));
        var app = new InMemoryApplication(new ValidatorSet([new Validator(signer.PublicKey, 1)]));
        app.AddTransactions(Enumerable.Range(0, 30).Select(i => new[] { (byte)i, (byte)7 }));
        var options = TestNet.DefaultOptions with { BatchDelay = TimeSpan.FromMilliseconds(1), MaxBlockTransactions = 10 };
        var machine = new ConsensusStateMachine(options, signer, app, new InMemoryConsensusStore(), TimeProvider.System, NullLogger.Instance);
        using var engine = new ConsensusEngine(machine, new NoPeers(), TimeProvider.System, options.EventQueueCapacity);
        var third = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        engine.Committed += (b, _) => { if (b.Height == 3) third.TrySetResult(); };
        using var cts = new CancellationTokenSource();
        var loop = engine.RunAsync(cts.Token);

        await third.Task.WaitAsync(TimeSpan.FromSeconds(20));
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => loop);
        Assert.Equal(3UL, app.Tip.Height);
        Assert.All(app.Blocks, b => Assert.Equal(10, b.Transactions.Count));
        Assert.True(machine.IsWaitingForTransactions);
    }

    /// <summary>A store whose saves fail once armed (this node's own disk).</summary>
    private sealed class FailingStore : IConsensusStore
    {
        private readonly InMemoryConsensusStore _inner = new();

        public volatile bool Failing;

        public void Save(PersistedState state)
        {
            if (Failing) throw new IOException("disk full");
            _inner.Save(state);
        }

        public PersistedState? Load() => _inner.Load();
    }

    [Fact]
    public async Task An_unexpected_exception_while_handling_one_event_is_contained_and_the_loop_goes_on()
    {
        using var signer = Ed25519Signer.FromSeed(TestNet.Seed(0));
        var app = new InMemoryApplication(new ValidatorSet([new Validator(signer.PublicKey, 1)]));
        app.AddTransactions(Enumerable.Range(0, 30).Select(i => new[] { (byte)i, (byte)7 }));
        var options = TestNet.DefaultOptions with { BatchDelay = TimeSpan.FromMilliseconds(1), MaxBlockTransactions = 10 };
        var machine = new ConsensusStateMachine(options, signer, app, new InMemoryConsensusStore(), TimeProvider.System, NullLogger.Instance);
        using var engine = new ConsensusEngine(machine, new NoPeers(), TimeProvider.System, options.EventQueueCapacity);
        var third = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        engine.Committed += (b, _) => { if (b.Height == 3) third.TrySetResult(); };
        using var cts = new CancellationTokenSource();
        engine.Post(new VoteReceived(signer.PublicKey, null!)); // stands for a bug: a shape no intake check lets through
        var loop = engine.RunAsync(cts.Token);

        var finished = await Task.WhenAny(third.Task, loop, Task.Delay(TimeSpan.FromSeconds(20)));
        await cts.CancelAsync();
        Assert.Same(third.Task, finished);
        Assert.Equal(1L, engine.ContainedFaults);
        Assert.Contains(nameof(NullReferenceException), engine.LastContainedFault);
    }

    [Fact]
    public void Announcing_transactions_for_every_admitted_batch_queues_one_event_however_many_batches_come()
    {
        using var signer = Ed25519Signer.FromSeed(TestNet.Seed(0));
        var app = new InMemoryApplication(new ValidatorSet([new Validator(signer.PublicKey, 1)]));
        var machine = new ConsensusStateMachine(TestNet.DefaultOptions, signer, app, new InMemoryConsensusStore(), TimeProvider.System, NullLogger.Instance);
        using var engine = new ConsensusEngine(machine, new NoPeers(), TimeProvider.System, 100); // not running: nothing drains

        // One announcement per admitted batch, as the pool raises them: a post per batch would fill the queue (and then
        // leave a write waiting for room per batch).
        for (var i = 0; i < 10_000; i++) engine.AnnounceTransactions();

        Assert.Equal(1, engine.QueuedEvents);
        Assert.Equal(1, engine.QueuedAnnouncements);
    }

    [Fact]
    public async Task Transactions_added_from_another_thread_at_any_moment_all_commit_though_announcements_are_coalesced()
    {
        using var signer = Ed25519Signer.FromSeed(TestNet.Seed(0));
        var inner = new InMemoryApplication(new ValidatorSet([new Validator(signer.PublicKey, 1)]));
        var app = new LockedApplication(inner);
        // No idle blocks: an announcement lost between the machine's look at the pool and the re-arming would stall the
        // chain for good instead of being rescued by the next idle block.
        var options = TestNet.DefaultOptions with { BatchDelay = TimeSpan.FromMilliseconds(1), IdleBlockInterval = TimeSpan.Zero };
        var machine = new ConsensusStateMachine(options, signer, app, new InMemoryConsensusStore(), TimeProvider.System, NullLogger.Instance);
        using var engine = new ConsensusEngine(machine, new NoPeers(), TimeProvider.System, 100);
        var target = int.MaxValue;
        var allCommitted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        engine.Committed += (_, _) => { if (app.CommittedTransactions >= Volatile.Read(ref target)) allCommitted.TrySetResult(); };
        using var cts = new CancellationTokenSource();
        var loop = engine.RunAsync(cts.Token);
        var random = new Random(20261204);
        var total = 0;
        for (var i = 0; i < 300; i++)
        {
            var n = random.Next(1, 4);
            app.Add(Enumerable.Range(0, n).Select(k => BitConverter.GetBytes(total + k)));
            total += n;
            engine.AnnounceTransactions();
            if (random.Next(4) == 0) await Task.Delay(random.Next(0, 3));
        }

        Volatile.Write(ref target, total);
        if (app.CommittedTransactions >= total) allCommitted.TrySetResult();
        await Task.WhenAny(allCommitted.Task, loop, Task.Delay(TimeSpan.FromSeconds(30)));
        await cts.CancelAsync();
        Assert.Equal(total, app.CommittedTransactions);
        Assert.False(app.HasPendingTransactions);
    }

    /// <summary>The in-memory application behind a lock, so a test thread can add transactions while the loop runs.</summary>
    private sealed class LockedApplication(InMemoryApplication inner) : IConsensusApplication
    {
        private readonly Lock _lock = new();

        public void Add(IEnumerable<byte[]> txs)
        {
            lock (_lock) inner.AddTransactions(txs);
        }

        public int CommittedTransactions
        {
            get { lock (_lock) return inner.Blocks.Sum(b => b.Transactions.Count); }
        }

        public ChainTip Tip { get { lock (_lock) return inner.Tip; } }

        public bool HasPendingTransactions { get { lock (_lock) return inner.HasPendingTransactions; } }

        public IReadOnlyList<byte[]> SelectTransactions(ulong height, long timestampMs, int maxCount, int maxBytes)
        {
            lock (_lock) return inner.SelectTransactions(height, timestampMs, maxCount, maxBytes);
        }

        public ExecutionResult Execute(ulong height, long timestampMs, IReadOnlyList<byte[]> transactions)
        {
            lock (_lock) return inner.Execute(height, timestampMs, transactions);
        }

        public void Commit(Block block, CommitCertificate certificate)
        {
            lock (_lock) inner.Commit(block, certificate);
        }

        public bool TryGetCommitted(ulong height, out Block block, out CommitCertificate certificate)
        {
            lock (_lock) return inner.TryGetCommitted(height, out block, out certificate);
        }

        public ValidatorSet ValidatorSetAt(ulong height)
        {
            lock (_lock) return inner.ValidatorSetAt(height);
        }
    }

    [Fact]
    public async Task A_fault_of_the_nodes_own_storage_stops_the_loop()
    {
        using var signer = Ed25519Signer.FromSeed(TestNet.Seed(0));
        var app = new InMemoryApplication(new ValidatorSet([new Validator(signer.PublicKey, 1)]));
        var store = new FailingStore();
        var machine = new ConsensusStateMachine(TestNet.DefaultOptions, signer, app, store, TimeProvider.System, NullLogger.Instance);
        using var engine = new ConsensusEngine(machine, new NoPeers(), TimeProvider.System, 100);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var loop = engine.RunAsync(cts.Token);
        store.Failing = true;
        app.AddTransactions([[1, 2, 3]]);
        engine.Post(new TransactionsAvailable());

        var e = await Assert.ThrowsAsync<ConsensusStorageException>(() => loop);
        Assert.IsType<IOException>(e.InnerException);
        Assert.Equal(0L, engine.ContainedFaults);
    }

    [Fact]
    public void A_peers_share_of_the_event_queue_is_bounded_by_count_and_bytes_and_leaves_room_for_the_others()
    {
        using var signer = Ed25519Signer.FromSeed(TestNet.Seed(0));
        using var flooder = Ed25519Signer.FromSeed(TestNet.Seed(1));
        using var other = Ed25519Signer.FromSeed(TestNet.Seed(2));
        var set = new ValidatorSet([new Validator(signer.PublicKey, 1), new Validator(flooder.PublicKey, 1), new Validator(other.PublicKey, 1)]);
        var limits = new BlockLimits(10, 256 * 1024);
        var options = TestNet.DefaultOptions with { Limits = limits };
        var machine = new ConsensusStateMachine(options, signer, new InMemoryApplication(set), new InMemoryConsensusStore(), TimeProvider.System, NullLogger.Instance);
        using var engine = new ConsensusEngine(machine, new NoPeers(), TimeProvider.System, 100_000); // not running: nothing drains

        var vote = ConsensusMessage.Encode(Vote.Create(flooder, TestNet.ChainId, VoteType.Prevote, 1, 0, Hash32.Zero));
        for (var i = 0; i < IntakeBounds.QueuedMessagesPerPeer + 500; i++) engine.Deliver(flooder.PublicKey, vote);
        engine.Deliver(other.PublicKey, ConsensusMessage.Encode(Vote.Create(other, TestNet.ChainId, VoteType.Prevote, 1, 0, Hash32.Zero)));

        Assert.Equal(IntakeBounds.QueuedMessagesPerPeer + 1, engine.QueuedPeerEvents);
        Assert.Equal(500, engine.Intake[flooder.PublicKey, DropReason.QueueFull]);

        // Bytes: a full block fits this many times into one peer's share (one more would need a block's worth of slack).
        var txs = Enumerable.Range(0, limits.MaxTransactions).Select(i => new byte[(int)(limits.MaxBytes / limits.MaxTransactions) - 8]).ToArray();
        var header = new BlockHeader(TestNet.ChainId, 1, 0, Hash32.Zero, Block.ComputeTransactionRoot(txs), Hash32.Zero, other.PublicKey, 1);
        var proposal = ConsensusMessage.Encode(Proposal.Create(other, TestNet.ChainId, 1, 0, -1, new Block(header, txs)));
        for (var i = 0; i < 10; i++) engine.Deliver(other.PublicKey, proposal);

        Assert.Equal(10 - IntakeBounds.QueuedLargestMessagesPerPeer, engine.Intake[other.PublicKey, DropReason.QueueFull]);
    }

    [Fact]
    public void Bytes_from_a_peer_whose_queue_share_is_full_are_dropped_before_they_are_decoded()
    {
        using var signer = Ed25519Signer.FromSeed(TestNet.Seed(0));
        using var flooder = Ed25519Signer.FromSeed(TestNet.Seed(1));
        var set = new ValidatorSet([new Validator(signer.PublicKey, 1), new Validator(flooder.PublicKey, 1)]);
        var machine = new ConsensusStateMachine(TestNet.DefaultOptions, signer, new InMemoryApplication(set), new InMemoryConsensusStore(), TimeProvider.System, NullLogger.Instance);
        using var engine = new ConsensusEngine(machine, new NoPeers(), TimeProvider.System, 100_000); // not running: nothing drains

        var vote = ConsensusMessage.Encode(Vote.Create(flooder, TestNet.ChainId, VoteType.Prevote, 1, 0, Hash32.Zero));
        for (var i = 0; i < IntakeBounds.QueuedMessagesPerPeer; i++) engine.Deliver(flooder.PublicKey, vote);
        // Bytes that would not decode: with the share full they are not even read (a decoded drop would count Malformed).
        var junk = new byte[64 * 1024];
        new Random(168).NextBytes(junk);
        for (var i = 0; i < 10; i++) engine.Deliver(flooder.PublicKey, junk);

        Assert.Equal(0, engine.Intake[flooder.PublicKey, DropReason.Malformed]);
        Assert.Equal(10, engine.Intake[flooder.PublicKey, DropReason.QueueFull]);
    }
}
