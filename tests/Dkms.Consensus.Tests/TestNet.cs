using Dkms.Consensus.InMemory;
using Dkms.Core.Blocks;
using Dkms.Core.Crypto;
using Dkms.Core.Encoding;
using Dkms.Core.Genesis;
using Dkms.Core.Primitives;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Dkms.Consensus.Tests;

/// <summary>
/// n validators in one process over a <see cref="SimulatedNetwork"/>, a fake clock and a seeded Random.
/// Each validator's application and consensus store outlive its engine, so a crash is "dispose the engine"
/// and a restart is "a new engine over the same application and store".
/// </summary>
public sealed class TestNet : IDisposable
{
    public const string ChainId = "dkms-test";

    private readonly Random _random;
    private readonly Func<ConsensusOptions, ConsensusOptions>? _configure;
    private readonly Func<int, ConsensusOptions, ConsensusOptions>? _configureNode;
    private readonly ConsensusParameters _parameters;
    private long _txCounter;

    public TestNet(int n, int seed, Func<ConsensusOptions, ConsensusOptions>? configure = null, bool start = true, int? genesisCount = null,
        Func<int, ConsensusOptions, ConsensusOptions>? configureNode = null, ConsensusParameters? parameters = null)
    {
        _random = new Random(seed);
        _parameters = parameters ?? new ConsensusParameters();
        _configure = configure;
        _configureNode = configureNode;
        Time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        Network = new SimulatedNetwork(Time, seed);
        Network.Tap = Observe;
        Signers = Enumerable.Range(0, n).Select(i => Ed25519Signer.FromSeed(Seed(i))).ToArray();
        Genesis = new ValidatorSet(Signers.Take(genesisCount ?? n).Select(s => new Validator(s.PublicKey, 10)));
        Apps = Signers.Select(_ => new InMemoryApplication(Genesis)).ToArray();
        Stores = Signers.Select(_ => new InMemoryConsensusStore()).ToArray();
        Drivers = new SynchronousDriver?[n];
        Holds = new SigningHold?[n];
        if (start)
        {
            for (var i = 0; i < n; i++) Start(i);
        }
    }

    public FakeTimeProvider Time { get; }
    public SimulatedNetwork Network { get; }
    public Ed25519Signer[] Signers { get; }
    public ValidatorSet Genesis { get; }
    public InMemoryApplication[] Apps { get; }
    public InMemoryConsensusStore[] Stores { get; }
    public SynchronousDriver?[] Drivers { get; }

    /// <summary>The signing hold node i starts with (a restored validator's), null for none.</summary>
    public SigningHold?[] Holds { get; private set; } = [];

    /// <summary>Every vote any node sent, by (validator, height, round, type): the double-signing check.</summary>
    public Dictionary<(PublicKey, ulong, int, VoteType), HashSet<Hash32>> SignedVotes { get; } = new();

    public static byte[] Seed(int i)
    {
        var s = new byte[32];
        s[0] = (byte)(i + 1);
        s[31] = 0x5a;
        return s;
    }

    /// <summary>The node's options: genesis defaults (<see cref="ConsensusParameters"/>, the one source), local settings at
    /// theirs. Time is virtual here, so the real timeouts cost no wall time.</summary>
    public static ConsensusOptions DefaultOptions => ConsensusOptions.FromGenesis(ChainId, new ConsensusParameters());

    public int Count => Signers.Length;

    /// <summary>The metrics sink each node's driver gets when started (none by default).</summary>
    public Func<int, IConsensusMetrics?> MetricsOf { get; set; } = _ => null;

    public void Start(int i)
    {
        var chain = ConsensusOptions.FromGenesis(ChainId, _parameters);
        var options = _configure is null ? chain : _configure(chain);
        if (_configureNode is not null) options = _configureNode(i, options);
        var machine = new ConsensusStateMachine(options, Signers[i], Apps[i], Stores[i], Time, NullLogger.Instance) { Hold = Holds[i] };
        SynchronousDriver? driver = null;
        var transport = Network.Join(Signers[i].PublicKey, (from, bytes) => driver!.Deliver(from, bytes));
        driver = new SynchronousDriver(machine, transport, Time) { Metrics = MetricsOf(i) };
        Drivers[i] = driver;
        driver.Start();
    }

    public void Crash(int i)
    {
        Network.Leave(Signers[i].PublicKey);
        Drivers[i]?.Dispose();
        Drivers[i] = null;
    }

    public IEnumerable<int> Running => Enumerable.Range(0, Count).Where(i => Drivers[i] is not null);

    /// <summary>Puts <paramref name="count"/> fresh transactions in every running node's mempool (as gossip would).</summary>
    public void Submit(int count = 1)
    {
        var txs = new List<byte[]>();
        for (var k = 0; k < count; k++)
        {
            var tx = new byte[40];
            BitConverter.TryWriteBytes(tx, ++_txCounter);
            _random.NextBytes(tx.AsSpan(8));
            txs.Add(tx);
        }

        Submit(txs);
    }

    public void Submit(IReadOnlyList<byte[]> txs)
    {
        foreach (var i in Running)
        {
            Apps[i].AddTransactions(txs);
            Drivers[i]!.Post(new TransactionsAvailable());
        }
    }

    /// <summary>Advances the fake clock 1 ms at a time for <paramref name="duration"/>, submitting
    /// <paramref name="txsPerTick"/> transactions every <paramref name="feedEveryMs"/> ms when given.</summary>
    public void Run(TimeSpan duration, int feedEveryMs = 0, int txsPerTick = 3)
    {
        var steps = (int)duration.TotalMilliseconds;
        for (var t = 0; t < steps; t++)
        {
            if (feedEveryMs > 0 && t % feedEveryMs == 0) Submit(txsPerTick);
            Time.Advance(TimeSpan.FromMilliseconds(1));
        }
    }

    /// <summary>Runs (feeding transactions) until every node in <paramref name="nodes"/> has committed
    /// <paramref name="height"/>; false after <paramref name="limit"/>.</summary>
    public bool RunUntilHeight(ulong height, TimeSpan limit, IEnumerable<int>? nodes = null, int feedEveryMs = 10)
    {
        var watch = (nodes ?? Running).ToArray();
        var steps = (int)limit.TotalMilliseconds;
        for (var t = 0; t < steps; t++)
        {
            if (watch.All(i => Apps[i].Tip.Height >= height)) return true;
            if (feedEveryMs > 0 && t % feedEveryMs == 0) Submit(3);
            Time.Advance(TimeSpan.FromMilliseconds(1));
        }

        return watch.All(i => Apps[i].Tip.Height >= height);
    }

    public string Describe() => string.Join(" | ", Enumerable.Range(0, Count).Select(i => Drivers[i] is { } d
        ? $"{i}: h={d.Machine.Height} r={d.Machine.Round} {d.Machine.Step} waiting={d.Machine.IsWaitingForTransactions} pending={Apps[i].PendingCount}"
        : $"{i}: down"));

    public ulong MinHeight(IEnumerable<int> nodes) => nodes.Min(i => Apps[i].Tip.Height);

    /// <summary>The safety invariant: no two nodes committed different blocks at one height, and each certificate verifies.</summary>
    public void AssertNoFork(IEnumerable<int>? nodes = null)
    {
        var ids = (nodes ?? Enumerable.Range(0, Count)).ToArray();
        var max = ids.Max(i => Apps[i].Tip.Height);
        for (ulong h = 1; h <= max; h++)
        {
            Hash32? seen = null;
            foreach (var i in ids)
            {
                if (!Apps[i].TryGetCommitted(h, out var block, out var cert)) continue;
                seen ??= block.Hash;
                Assert.True(seen == block.Hash, $"fork at height {h}: node {i} committed {block.Hash}, another {seen}");
                Assert.True(cert.Verify(Apps[i].ValidatorSetAt(h), ChainId, block.Hash, out var error), $"height {h} node {i}: {error}");
            }
        }
    }

    /// <summary>No validator in <paramref name="honest"/> ever signed two different votes for one height, round and type.</summary>
    public void AssertNoDoubleSigning(IEnumerable<int> honest)
    {
        foreach (var i in honest)
        {
            var key = Signers[i].PublicKey;
            foreach (var ((v, h, r, t), hashes) in SignedVotes)
            {
                if (v == key) Assert.True(hashes.Count == 1, $"node {i} signed {hashes.Count} different {t} at height {h} round {r}");
            }
        }
    }

    private void Observe(PublicKey from, byte[] bytes)
    {
        // Only what the validator itself sent and signed: an adversary may relay or forge votes in its name.
        if (!Codec.TryDecode<ConsensusMessage>(bytes, out var m, out _) || m?.Vote is not { Signature.Length: 64 } v || v.Validator != from
            || !v.VerifySignature(ChainId)) return;
        var k = (v.Validator, v.Height, v.Round, v.Type);
        if (!SignedVotes.TryGetValue(k, out var set)) SignedVotes[k] = set = new HashSet<Hash32>();
        set.Add(v.BlockHash);
    }

    public void Dispose()
    {
        foreach (var d in Drivers) d?.Dispose();
        foreach (var s in Signers) s.Dispose();
    }
}
