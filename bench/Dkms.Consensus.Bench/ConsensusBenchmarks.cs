using BenchmarkDotNet.Attributes;
using Dkms.Consensus.InMemory;
using Dkms.Core.Blocks;
using Dkms.Core.Crypto;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Dkms.Consensus.Bench;

/// <summary>
/// Four validators in one process (synchronous drivers, in-memory network with 1 ms delay, fake clock), blocks of
/// 1,000 pre-verified transactions. One operation = one committed height on all four validators, so
/// ops/s = heights/s and (time per op) / 1000 / 4 = consensus CPU per transaction per validator. The baseline
/// is what the same validator spends verifying the block's 1,000 transaction signatures once.
/// </summary>
[MemoryDiagnoser]
public class ConsensusBenchmarks
{
    private const int TxsPerBlock = 1000;
    private FakeTimeProvider _time = null!;
    private InMemoryApplication[] _apps = null!;
    private SynchronousDriver[] _drivers = null!;
    private Ed25519Signer[] _signers = null!;
    private long _counter;
    private byte[] _message = null!;
    private byte[] _signature = null!;

    [GlobalSetup]
    public void Setup()
    {
        _time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var network = new SimulatedNetwork(_time, seed: 1) { Faults = new NetworkFaults { MinDelayMs = 1, MaxDelayMs = 1 } };
        _signers = Enumerable.Range(0, 4).Select(i => Ed25519Signer.FromSeed(Enumerable.Repeat((byte)(i + 1), 32).ToArray())).ToArray();
        var set = new ValidatorSet(_signers.Select(s => new Validator(s.PublicKey, 1)));
        _apps = _signers.Select(_ => new InMemoryApplication(set)).ToArray();
        var options = new ConsensusOptions { ChainId = "bench", MaxBlockTransactions = TxsPerBlock, BatchDelay = TimeSpan.FromMilliseconds(1) };
        _drivers = new SynchronousDriver[4];
        for (var i = 0; i < 4; i++)
        {
            var k = i;
            var machine = new ConsensusStateMachine(options, _signers[i], _apps[i], new InMemoryConsensusStore(), _time, NullLogger.Instance);
            var transport = network.Join(_signers[i].PublicKey, (from, bytes) => _drivers[k].Deliver(from, bytes));
            _drivers[i] = new SynchronousDriver(machine, transport, _time);
            _drivers[i].Start();
        }

        _message = new byte[200];
        _signature = _signers[0].Sign(_message);
        OneHeight();
        if (_apps.Any(a => a.Tip.Height != 1 || a.Blocks[0].Transactions.Count != TxsPerBlock)) throw new InvalidOperationException("setup did not commit a full block");
    }

    [Benchmark(Description = "one height of 1,000 txs, 4 validators")]
    public void OneHeight()
    {
        var target = _apps[0].Tip.Height + 1;
        var txs = new byte[TxsPerBlock][];
        for (var i = 0; i < txs.Length; i++)
        {
            txs[i] = new byte[100];
            BitConverter.TryWriteBytes(txs[i], ++_counter);
        }

        for (var i = 0; i < 4; i++)
        {
            _apps[i].AddTransactions(txs);
            _drivers[i].Post(new TransactionsAvailable());
        }

        while (_apps.Any(a => a.Tip.Height < target)) _time.Advance(TimeSpan.FromMilliseconds(1));
    }

    [Benchmark(Baseline = true, Description = "verify 1,000 tx signatures x 4 validators")]
    public bool VerifyBlockSignatures()
    {
        var ok = true;
        for (var i = 0; i < TxsPerBlock * 4; i++) ok &= Ed25519.Verify(_signers[0].PublicKey, _message, _signature);
        return ok;
    }
}
