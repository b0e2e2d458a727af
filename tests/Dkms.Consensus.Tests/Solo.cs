using Dkms.Consensus.InMemory;
using Dkms.Core.Blocks;
using Dkms.Core.Crypto;
using Dkms.Core.Encoding;
using Dkms.Core.Primitives;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Dkms.Consensus.Tests;

/// <summary>One state machine of a four-validator set, driven by hand: the test plays the other three (it holds their
/// keys) and reads the actions the machine returns.</summary>
public sealed class Solo : IDisposable
{
    public Solo(int self, Func<ConsensusOptions, ConsensusOptions>? configure = null, bool neverSigns = false)
    {
        Signers = Enumerable.Range(0, 4).Select(i => Ed25519Signer.FromSeed(TestNet.Seed(i))).ToArray();
        Set = new ValidatorSet(Signers.Select(s => new Validator(s.PublicKey, 10)));
        App = new InMemoryApplication(Set);
        Store = new InMemoryConsensusStore();
        Self = self;
        Options = configure is null ? TestNet.DefaultOptions : configure(TestNet.DefaultOptions);
        Machine = new ConsensusStateMachine(Options, Signers[self], App, Store, Time, NullLogger.Instance) { NeverSigns = neverSigns };
    }

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    public Ed25519Signer[] Signers { get; }
    public ValidatorSet Set { get; }
    public InMemoryApplication App { get; }
    public InMemoryConsensusStore Store { get; }
    public ConsensusOptions Options { get; }
    public ConsensusStateMachine Machine { get; }
    public int Self { get; }

    /// <summary>The index of a validator that is not <see cref="Self"/> and not <paramref name="but"/>.</summary>
    public int Other(params int[] but) => Enumerable.Range(0, 4).First(i => i != Self && !but.Contains(i));

    /// <summary>A validator that proposes none of the rounds 0..<paramref name="rounds"/>-1 of heights 1 and 2's round 0.</summary>
    public static int NeverProposer(int rounds)
    {
        using var probe = new Solo(0);
        var proposers = Enumerable.Range(0, rounds).Select(r => probe.Set.Proposer(1, r)).Append(probe.Set.Proposer(2, 0)).ToHashSet();
        return Enumerable.Range(0, 4).First(i => !proposers.Contains(probe.Signers[i].PublicKey));
    }

    public IReadOnlyList<ConsensusAction> Vote(int from, VoteType type, int round, Hash32 hash) =>
        Machine.Handle(new VoteReceived(Signers[from].PublicKey, Dkms.Core.Blocks.Vote.Create(Signers[from], TestNet.ChainId, type, Machine.Height, round, hash)));

    public IReadOnlyList<ConsensusAction> Fire(TimeoutKind kind, int round) =>
        Machine.Handle(new TimeoutFired(new ConsensusTimeout(kind, Machine.Height, round)));

    /// <summary>A valid empty block of the machine's height proposed in <paramref name="round"/>, signed by its proposer.</summary>
    public Proposal ProposalFor(int round)
    {
        var proposer = Signers.First(s => s.PublicKey == Set.Proposer(Machine.Height, round));
        var ts = Time.GetUtcNow().ToUnixTimeMilliseconds();
        var root = App.Execute(Machine.Height, ts, Array.Empty<byte[]>()).StateRoot;
        var header = new BlockHeader(TestNet.ChainId, Machine.Height, round, App.Tip.BlockHash, Block.ComputeTransactionRoot(Array.Empty<byte[]>()),
            root, proposer.PublicKey, ts);
        return Proposal.Create(proposer, TestNet.ChainId, Machine.Height, round, -1, new Block(header, Array.Empty<byte[]>()));
    }

    public static IEnumerable<ScheduleTimeoutAction> Timeouts(IEnumerable<ConsensusAction> actions, TimeoutKind kind) =>
        actions.OfType<ScheduleTimeoutAction>().Where(t => t.Timeout.Kind == kind);

    /// <summary>The votes among broadcast and sent messages.</summary>
    public static IEnumerable<Vote> Votes(IEnumerable<ConsensusAction> actions) => Messages(actions).Select(m => m.Vote).OfType<Vote>();

    public static IEnumerable<ConsensusMessage> Messages(IEnumerable<ConsensusAction> actions) =>
        actions.Select(a => a switch { BroadcastAction b => b.Message, SendAction s => s.Message, _ => null })
            .OfType<byte[]>().Select(b => Codec.Decode<ConsensusMessage>(b));

    public void Dispose()
    {
        foreach (var s in Signers) s.Dispose();
    }
}
