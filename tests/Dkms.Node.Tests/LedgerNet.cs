using Dkms.Consensus;
using Dkms.Consensus.InMemory;
using Dkms.Core.Crypto;
using Dkms.Core.Genesis;
using Dkms.Core.Primitives;
using Dkms.Core.Transactions;
using Dkms.Ledger;
using Dkms.Node.Consensus;
using Dkms.Node.Mempool;
using Dkms.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Dkms.Node.Tests;

/// <summary>
/// n validators, each with its own DKMS ledger on an in-memory store, running the consensus engine
/// over the simulated network with a fake clock: the real state machine under the real protocol.
/// </summary>
public sealed class LedgerNet : IDisposable
{
    public const string ChainId = "dkms-ledger-net";

    public LedgerNet(int n, int running, int seed)
    {
        Time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        Network = new SimulatedNetwork(Time, seed);
        Nodes = [.. Enumerable.Range(0, n).Select(i => Ed25519Signer.FromSeed(Hash32.Sha256([(byte)i, 0x42]).ToArray()))];
        Genesis = [.. Nodes.Take(running).Select((s, i) => new ValidatorEntry(s.PublicKey, $"127.0.0.1:{26000 + i}", 10))];
        Apps = new LedgerApplication[n];
        Stores = new MemoryStore[n];
        Drivers = new SynchronousDriver[n];
        for (var i = 0; i < n; i++)
        {
            var store = Stores[i] = new MemoryStore();
            var ledger = DkmsLedger.Open(store, new LedgerOptions(ChainId));
            ledger.InitializeGenesis(Genesis);
            Apps[i] = new LedgerApplication(ledger, store, new TransactionPool(ledger, new MempoolOptions(), Time));
        }

        for (var i = 0; i < n; i++) Start(i);
    }

    public FakeTimeProvider Time { get; }
    public SimulatedNetwork Network { get; }
    public Ed25519Signer[] Nodes { get; }
    public ValidatorEntry[] Genesis { get; }
    public LedgerApplication[] Apps { get; }

    /// <summary>Each node's ledger store.</summary>
    public MemoryStore[] Stores { get; }
    public SynchronousDriver[] Drivers { get; }

    /// <summary>Gives <paramref name="txs"/> to every node, as gossip would.</summary>
    public void Submit(params Transaction[] txs)
    {
        for (var i = 0; i < Apps.Length; i++)
        {
            foreach (var tx in txs) Apps[i].Submit(tx);
            Drivers[i].Post(new TransactionsAvailable());
        }
    }

    public bool RunUntil(Func<bool> done, TimeSpan limit)
    {
        for (var t = 0; t < limit.TotalMilliseconds; t++)
        {
            if (done()) return true;
            Time.Advance(TimeSpan.FromMilliseconds(1));
        }

        return done();
    }

    public void Dispose()
    {
        foreach (var d in Drivers) d.Dispose();
    }

    private void Start(int i)
    {
        var options = ConsensusOptions.FromGenesis(ChainId, new ConsensusParameters());
        var machine = new ConsensusStateMachine(options, Nodes[i], Apps[i], new InMemoryConsensusStore(), Time, NullLogger.Instance);
        SynchronousDriver? driver = null;
        var transport = Network.Join(Nodes[i].PublicKey, (from, bytes) => driver!.Deliver(from, bytes));
        driver = new SynchronousDriver(machine, transport, Time);
        Drivers[i] = driver;
        driver.Start();
    }
}
