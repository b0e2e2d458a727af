using Dkms.Consensus.InMemory;
using Dkms.Core.Blocks;
using Dkms.Core.Crypto;
using Dkms.Core.Encoding;
using Dkms.Core.Genesis;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Dkms.Consensus.Bench;

/// <summary>Which application sits behind the four engines.</summary>
public enum AppKind
{
    /// <summary><see cref="FixedCostApplication"/>: Execute and Commit cost O(1), independent of the transactions.</summary>
    FixedCost,

    /// <summary><see cref="InMemoryApplication"/>: hashes every transaction on admission, execute and commit.</summary>
    InMemory,
}

/// <summary>
/// Four validators in one process: synchronous drivers, <see cref="SimulatedNetwork"/> with a fixed 1 ms delay under a
/// fake clock, in-memory consensus stores (which encode every saved state, as a disk store would). Everything runs on
/// the calling thread. <see cref="OneHeight"/> hands a fresh batch of distinct 100-byte transactions to every
/// validator's mempool and advances the clock until all four have committed the next height.
/// </summary>
public sealed class Cluster
{
    public const int Validators = 4;
    public const int TransactionSize = 100;

    private readonly int _txsPerBlock;
    private readonly FakeTimeProvider _time;
    private readonly IConsensusApplication[] _apps;
    private readonly SynchronousDriver[] _drivers;
    private readonly InMemoryConsensusStore[] _stores;
    private long _counter;

    /// <summary>Messages sent (one per recipient) and their bytes, by kind; only with countTraffic.</summary>
    public Dictionary<MessageKind, (long Count, long Bytes)> Traffic { get; } = new();

    public long PersistCount => _stores.Sum(s => s.SaveCount);

    public long PersistBytes => _stores.Sum(s => s.BytesWritten);

    public Cluster(AppKind kind, int txsPerBlock, bool countTraffic = false)
    {
        _txsPerBlock = txsPerBlock;
        Kind = kind;
        _time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var network = new SimulatedNetwork(_time, seed: 1) { Faults = new NetworkFaults { MinDelayMs = 1, MaxDelayMs = 1 } };
        if (countTraffic) network.Tap = (_, bytes) => Count(bytes);
        Signers = Enumerable.Range(0, Validators).Select(i => Ed25519Signer.FromSeed(Enumerable.Repeat((byte)(i + 1), 32).ToArray())).ToArray();
        var set = new ValidatorSet(Signers.Select(s => new Validator(s.PublicKey, 1)));
        _apps = Signers.Select(_ => kind == AppKind.InMemory ? (IConsensusApplication)new InMemoryApplication(set) : new FixedCostApplication(set)).ToArray();
        // The chain's block limits sized to the benchmark's block, so every measured block is full; the rest are the
        // genesis defaults. A 1 ms batch delay: the benchmark measures consensus, not the proposer's wait for a batch.
        var maxBytes = Math.Max(1 << 20, txsPerBlock * TransactionSize * 2);
        var options = ConsensusOptions.FromGenesis("bench", new ConsensusParameters
        {
            MaxBlockTransactions = txsPerBlock,
            MaxBlockBytes = maxBytes,
            BatchDelayMs = 1,
        });
        _drivers = new SynchronousDriver[Validators];
        _stores = Enumerable.Range(0, Validators).Select(_ => new InMemoryConsensusStore()).ToArray();
        for (var i = 0; i < Validators; i++)
        {
            var k = i;
            var machine = new ConsensusStateMachine(options, Signers[i], _apps[i], _stores[i], _time, NullLogger.Instance);
            var transport = network.Join(Signers[i].PublicKey, (from, bytes) => _drivers[k].Deliver(from, bytes));
            _drivers[i] = new SynchronousDriver(machine, transport, _time);
            _drivers[i].Start();
        }
    }

    public AppKind Kind { get; }

    public Ed25519Signer[] Signers { get; }

    public ulong Height => _apps[0].Tip.Height;

    private void Count(byte[] bytes)
    {
        if (!Codec.TryDecode<ConsensusMessage>(bytes, out var m, out _) || m is null) return;
        var (c, b) = Traffic.GetValueOrDefault(m.Kind);
        Traffic[m.Kind] = (c + 1, b + bytes.Length);
    }

    /// <summary>Commits one height on all four validators; throws unless each committed a block of the full batch.</summary>
    public void OneHeight()
    {
        var target = _apps[0].Tip.Height + 1;
        var txs = new byte[_txsPerBlock][];
        for (var i = 0; i < txs.Length; i++)
        {
            txs[i] = new byte[TransactionSize];
            BitConverter.TryWriteBytes(txs[i], ++_counter);
        }

        for (var i = 0; i < Validators; i++)
        {
            switch (_apps[i])
            {
                case InMemoryApplication a: a.AddTransactions(txs); break;
                case FixedCostApplication a: a.AddTransactions(txs); break;
            }

            _drivers[i].Post(new TransactionsAvailable());
        }

        var steps = 0;
        while (_apps.Any(a => a.Tip.Height < target))
        {
            _time.Advance(TimeSpan.FromMilliseconds(1));
            if (++steps > 10_000) throw new InvalidOperationException($"height {target} not committed after 10 s of simulated time");
        }

        foreach (var app in _apps)
        {
            if (!app.TryGetCommitted(target, out var block, out _) || block.Transactions.Count != _txsPerBlock)
            {
                throw new InvalidOperationException($"height {target} was not committed with {_txsPerBlock} transactions everywhere");
            }
        }
    }
}
