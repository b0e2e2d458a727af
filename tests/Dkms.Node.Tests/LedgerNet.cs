using Dkms.Consensus;
using Dkms.Consensus.InMemory;
using Dkms.Core.Crypto;
using Dkms.Core.Genesis;
using Dkms.Core.Primitives;
using Dkms.Core.Transactions;
using Dkms.Ledger;
using Dkms.Node.Consensus;
using Dkms.Node.Mempool;
using Dkms.Node.Tests.Support;
using Dkms.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Dkms.Node.Tests;

/// <summary>
/// n validators, each with its own DKMS ledger on an in-memory store, running the consensus engine
/// over the simulated network with a fake clock: the real state machine under the real protocol. Transactions come in
/// as on a node: through each pool's admission writer, its loop running, while consensus commits and updates the pool.
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
        Writers = new RunningWriter[n];
        for (var i = 0; i < n; i++)
        {
            var store = Stores[i] = new MemoryStore();
            var ledger = DkmsLedger.Open(store, new LedgerOptions(ChainId));
            ledger.InitializeGenesis(Genesis);
            var pool = new TransactionPool(ledger, new MempoolOptions(), Time);
            Writers[i] = new RunningWriter(pool, Time);
            Apps[i] = new LedgerApplication(ledger, store, pool);
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

    /// <summary>Each node's admission writer (the one way into its pool).</summary>
    public RunningWriter[] Writers { get; }

    /// <summary>Gives <paramref name="txs"/> to every node, as gossip would, one at a time.</summary>
    public void Submit(params Transaction[] txs)
    {
        for (var i = 0; i < Apps.Length; i++)
        {
            foreach (var tx in txs) Writers[i].Admit(tx);
            Drivers[i].Post(new TransactionsAvailable());
        }
    }

    /// <summary>Admits <paramref name="tx"/> at node <paramref name="node"/> alone, through its writer; the admission's result.</summary>
    public TxResult SubmitTo(int node, Transaction tx) => Writers[node].Admit(tx)[0].Result;

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
        foreach (var w in Writers) w.Dispose();
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
