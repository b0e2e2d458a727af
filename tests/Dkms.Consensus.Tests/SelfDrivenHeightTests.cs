using Dkms.Consensus.InMemory;
using Dkms.Core.Blocks;
using Dkms.Core.Crypto;
using Dkms.Core.Primitives;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Dkms.Consensus.Tests;

/// <summary>
/// A validator holding more than 2/3 of the power decides a height from its own proposal and votes alone. With empty
/// blocks on and no batching window nothing outside the machine paces it: each decided height used to enter and decide
/// the next one inside the same call, a height per stack frame, until the stack overflowed. The machine must hand
/// control back (through its event queue) after a bounded number of heights per event.
/// </summary>
public sealed class SelfDrivenHeightTests
{
    /// <summary>More commits than this inside one call is the runaway recursion: the application stops it with an
    /// exception long before the stack would overflow (which would take the test host down with it).</summary>
    private const int RunawayCommits = 50;

    private const int RunawayFrames = 600;

    [Fact]
    public void A_lone_validator_with_empty_blocks_and_no_batch_window_decides_a_bounded_number_of_heights_per_event()
    {
        using var solo = new LoneValidator();
        var actions = solo.Machine.Start();
        Assert.InRange(solo.App.TakeCommitsOfThisCall(), 1, 2);

        // The machine asks to be called back at once; every call advances it, a few heights at most.
        for (var i = 0; i < 200; i++)
        {
            var next = actions.OfType<ScheduleTimeoutAction>().Single(t => t.Timeout.Kind == TimeoutKind.StartHeight);
            Assert.Equal(TimeSpan.Zero, next.Delay);
            actions = solo.Machine.Handle(new TimeoutFired(next.Timeout));
            Assert.InRange(solo.App.TakeCommitsOfThisCall(), 1, 2);
        }

        Assert.True(solo.App.Inner.Tip.Height >= 200, $"height {solo.App.Inner.Tip.Height}");
    }

    [Fact]
    public async Task Transactions_of_a_lone_validator_producing_empty_blocks_as_fast_as_it_can_are_committed()
    {
        // Through the real engine and clock: the deferred start goes through the event queue, so other events (here the
        // announcement of transactions) are handled between heights instead of waiting behind an endless call.
        using var signer = Ed25519Signer.FromSeed(TestNet.Seed(0));
        var app = new CountingApplication(new InMemoryApplication(new ValidatorSet([new Validator(signer.PublicKey, 10)])), limitCommitsPerCall: false);
        var options = TestNet.DefaultOptions with { CreateEmptyBlocks = true, BatchDelay = TimeSpan.Zero };
        var machine = new ConsensusStateMachine(options, signer, app, new InMemoryConsensusStore(), TimeProvider.System, NullLogger.Instance);
        using var engine = new ConsensusEngine(machine, new NoPeers(), TimeProvider.System, capacity: 1_000);
        var committed = new TaskCompletionSource<ulong>(TaskCreationOptions.RunContinuationsAsynchronously);
        var tx = new byte[40];
        tx[0] = 0x42;
        engine.Committed += (block, _) =>
        {
            if (block.Transactions.Any(t => t.AsSpan().SequenceEqual(tx))) committed.TrySetResult(block.Height);
        };
        using var cts = new CancellationTokenSource();
        var loop = engine.RunAsync(cts.Token);
        SpinWait.SpinUntil(() => engine.Status.Height > 20 || loop.IsCompleted, TimeSpan.FromSeconds(30));
        Assert.False(loop.IsFaulted, loop.Exception?.ToString());
        Assert.True(engine.Status.Height > 20, $"height {engine.Status.Height}");

        app.Add(tx);
        engine.AnnounceTransactions();
        var height = await committed.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(height > 20);
        Assert.Equal(0, engine.ContainedFaults);
        await cts.CancelAsync();
        try
        {
            await loop;
        }
        catch (OperationCanceledException)
        {
        }
    }

    private sealed class LoneValidator : IDisposable
    {
        private readonly Ed25519Signer _signer = Ed25519Signer.FromSeed(TestNet.Seed(0));

        public LoneValidator()
        {
            App = new CountingApplication(new InMemoryApplication(new ValidatorSet([new Validator(_signer.PublicKey, 10)])));
            var options = TestNet.DefaultOptions with { CreateEmptyBlocks = true, BatchDelay = TimeSpan.Zero };
            Machine = new ConsensusStateMachine(options, _signer, App, new InMemoryConsensusStore(),
                new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero)), NullLogger.Instance);
        }

        public CountingApplication App { get; }
        public ConsensusStateMachine Machine { get; }

        public void Dispose() => _signer.Dispose();
    }

    /// <summary>Counts commits per call into the machine and stops a runaway one; thread-safe (the in-memory application
    /// is not, and a test adds transactions from its own thread).</summary>
    private sealed class CountingApplication(InMemoryApplication inner, bool limitCommitsPerCall = true) : IConsensusApplication
    {
        private readonly Lock _lock = new();
        private int _commits;

        public void Add(byte[] tx)
        {
            lock (_lock) inner.AddTransactions([tx]);
        }

        public InMemoryApplication Inner => inner;

        public int TakeCommitsOfThisCall()
        {
            var n = _commits;
            _commits = 0;
            return n;
        }

        public ChainTip Tip
        {
            get { lock (_lock) return inner.Tip; }
        }

        public bool HasPendingTransactions
        {
            get { lock (_lock) return inner.HasPendingTransactions; }
        }

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
            // Either sign of the runaway: many heights inside one call, or a deep stack (the engine's calls are not counted
            // one by one here).
            if ((++_commits > RunawayCommits && limitCommitsPerCall) || new System.Diagnostics.StackTrace().FrameCount > RunawayFrames)
            {
                throw new InvalidOperationException($"more than {RunawayCommits} heights decided inside one call, or a stack of more than {RunawayFrames} frames");
            }

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

    private sealed class NoPeers : ITransport
    {
        public void Broadcast(byte[] message)
        {
        }

        public void Send(PublicKey peer, byte[] message)
        {
        }
    }
}
