using Dkms.Consensus;
using Dkms.Core.Blocks;
using Dkms.Core.Crypto;
using Dkms.Core.Encoding;
using Dkms.Core.Genesis;
using Dkms.Core.Transactions;
using Dkms.Ledger;
using Dkms.Node.Consensus;
using Dkms.Node.Mempool;
using Dkms.Node.Networking;
using Dkms.Node.Supervision;
using Dkms.Storage;
using Microsoft.Extensions.Logging;

namespace Dkms.Node;

/// <summary>
/// One validator: the ledger on its store, the mempool, the consensus engine's loop, and the peer link
/// carrying consensus messages and transaction gossip. Everything the RPC serves goes through here.
/// </summary>
public sealed partial class ValidatorNode : IAsyncDisposable
{
    private static readonly byte[] ChainIdKey = StoreLayout.ChainIdKey;

    private readonly ILogger _logger;
    private readonly IKeyValueStore _store;
    private readonly IPeerLink _link;
    private readonly ConsensusEngine _engine;
    private readonly TransactionGossip _gossip;
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;
    private int _disposed;

    /// <param name="journalStore">The store of the pending journal (acknowledged transactions), owned by the node from
    /// now on; null keeps it in memory (nothing acknowledged survives a restart: tests and <c>Storage = memory</c>).</param>
    public ValidatorNode(GenesisDocument genesis, NodeSettings settings, ISigner nodeKey, IKeyValueStore store, IPeerLink link,
        ILoggerFactory loggers, TimeProvider time, IKeyValueStore? journalStore = null)
    {
        Genesis = genesis;
        Settings = settings;
        NodeKey = nodeKey;
        Time = time;
        _store = store;
        _link = link;
        _logger = loggers.CreateLogger<ValidatorNode>();
        Supervisor = new LoopSupervisor(loggers.CreateLogger<LoopSupervisor>(), time, Metrics);

        if (store is IStorageFaultSource faults) faults.CorruptionDetected += OnCorruption;
        Ledger = DkmsLedger.Open(store, new LedgerOptions(genesis.ChainId));
        var consensusRecord = new DurableConsensusStore(store);
        CheckGenesis(consensusRecord);
        consensusRecord.CheckAgainstLedger(Ledger.Height);
        Pool = new TransactionPool(Ledger, settings.Mempool, time);
        Journal = OpenJournal(journalStore, settings.Mempool, loggers);
        Supervisor.Watch("pending-journal", Journal.Writer);
        Pool.Metrics = Metrics;
        Admission = new AdmissionWriter(Pool, settings.Mempool.AdmissionQueueTransactions, time, loggers.CreateLogger<AdmissionWriter>(), Metrics);
        Admission.SettledLater += SettledLater;
        Application = new LedgerApplication(Ledger, store, Pool, consensusRecord);
        var consensusOptions = ConsensusOptionsFor(genesis, settings);
        var machine = new ConsensusStateMachine(consensusOptions, nodeKey, Application,
            consensusRecord, time, loggers.CreateLogger<ConsensusStateMachine>())
        {
            Hold = OpenSigningHold(store),
            NeverSigns = settings.Observer.Enabled,
        };
        _engine = new ConsensusEngine(machine, new ChannelTransport(link, NodeChannel.Consensus), time, consensusOptions.EventQueueCapacity)
        {
            // Only this node's own storage failing stops the loop (and the node); anything else is contained.
            IsStorageFault = e => e is StorageException || e.InnerException is StorageException,
            Metrics = Metrics.Consensus,
        };
        machine.Intake.Dropped += (_, reason) => Metrics.OnDropped(reason);
        machine.EquivocationDetected += _ => Metrics.Equivocations.Inc();
        _engine.FaultContained += _ => Metrics.ConsensusFaults.Inc();
        _gossip = new TransactionGossip(link, txs => Admission.AdmitAsync(txs, relay: false), settings.Mempool.GossipBatchTransactions, loggers.CreateLogger<TransactionGossip>());

        // The pool raises these in one of its two owners' turns: Added on the admission writer's loop, Admissible and
        // Evicted on it or on the consensus loop. Each handler only hands work on through something safe from any thread:
        // the engine's announcement (an interlocked flag and its channel), gossip's bounded channel (many writers), the
        // journal (its own lock) and the waiters (a concurrent dictionary).
        Pool.Added += _ => _engine.AnnounceTransactions();
        Pool.Admissible += _gossip.Enqueue;
        Pool.Evicted += (tx, why) =>
        {
            SettleEvicted(tx, why);
            Waiters.Complete(tx.Hash, new TxOutcome(false, 0, 0, why));
        };
        Application.BlockCommitted += OnCommitted;
        ProofAnchors = new Rpc.ProofAnchors(Ledger.Options.ProofHistoryHeights + 2,
            h => Application.TryGetCommitted(h, out var block, out var certificate) ? Rpc.ProofAnchor.Of(block.Header, certificate) : null);
        Application.BlockCommitted += (block, certificate, _) => ProofAnchors.Committed(block.Header, certificate);
        link.MessageReceived = OnPeerMessage;
        // A (re)opened session: tell the peer this node's height at once (at start the engine's first request reaches
        // nobody: sessions are not up yet).
        link.PeerConnected = peer => _engine.Post(new PeerConnected(peer));
        link.PeerDisconnected = peer => _engine.Post(new PeerDisconnected(peer));
        PublishLedgerStatus();
    }

    public GenesisDocument Genesis { get; }
    public NodeSettings Settings { get; }
    public ISigner NodeKey { get; }
    public TimeProvider Time { get; }
    public DkmsLedger Ledger { get; }

    /// <summary>The ledger's store (for <c>admin.backup</c>).</summary>
    internal IKeyValueStore Store => _store;
    public TransactionPool Pool { get; }

    /// <summary>The acknowledged transactions not yet committed or refused, on disk (ValidatorNode.Durability.cs).</summary>
    public PendingJournal Journal { get; }
    public LedgerApplication Application { get; }

    /// <summary>Certified headers and certificates of the last heights, encoded once, for the proofs the RPC serves.</summary>
    public Rpc.ProofAnchors ProofAnchors { get; }
    public TxWaiters Waiters { get; } = new();
    public NodeMetrics Metrics { get; } = new();

    /// <summary>Runs and watches every background loop of the node; a failed one is in /health and stops the node.</summary>
    public LoopSupervisor Supervisor { get; }
    public ConsensusStateMachine Consensus => _engine.Machine;

    /// <summary>The consensus driver: intake drop counts and contained faults, for status and tests.</summary>
    public ConsensusEngine ConsensusEngine => _engine;
    public IReadOnlyList<Core.Primitives.PublicKey> Peers => _link.ConnectedPeers;
    public bool IsValidator => !IsObserver && Application.ValidatorSetAt(Ledger.Height + 1).Contains(NodeKey.PublicKey);

    /// <summary>An observer (docs/node.md, "Observers"): follows and serves the chain, never signs, takes no transactions.</summary>
    public bool IsObserver => Settings.Observer.Enabled;

    /// <summary>Observers with a session at this node.</summary>
    public IReadOnlyList<Core.Primitives.PublicKey> Observers => _link.ConnectedObservers;

    /// <summary>Completes when a read or write finds this node's store damaged, wherever it happened (an RPC query as
    /// much as the consensus loop): the node must stop rather than serve or sign from a damaged directory.</summary>
    public Task<StorageCorruptionException> Damaged => _damaged.Task;

    private readonly TaskCompletionSource<StorageCorruptionException> _damaged = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private void OnCorruption(StorageCorruptionException e)
    {
        if (_damaged.TrySetResult(e)) LogDamaged(_logger, e.Message);
    }

    [LoggerMessage(Level = LogLevel.Critical, Message = "The data directory is damaged: {What}")]
    private static partial void LogDamaged(ILogger logger, string what);

    /// <summary>Completes when the consensus loop stops; faulted only if this node's own storage failed, which must stop
    /// the node (other exceptions while handling an event are contained by the engine).</summary>
    public Task Loop => _loop ?? Task.CompletedTask;

    public void Start()
    {
        if (IsObserver) LogObserver(_logger, NodeKey.PublicKey.ToHex(), Settings.Observer.Peers.Length);
        else if (!IsValidator) LogNotValidator(_logger, NodeKey.PublicKey.ToHex());
        if (Consensus.Hold is not null) LogHeld(_logger, Ledger.Height);
        FollowValidatorSet();
        _link.Start();
        _gossip.Start(Supervisor);
        StartAdmission();
        _replay = Supervisor.Run("journal-replay", _ => ReplayJournalAsync(), LoopEnd.WhenDone);
        _loop = Supervisor.Run("consensus", _ => _engine.RunAsync(_stop.Token));
        LogStarted(_logger, Genesis.ChainId, NodeKey.PublicKey.ToHex(), Ledger.Height, Ledger.StateRoot.ToHex());
    }

    private void OnPeerMessage(Core.Primitives.PublicKey from, NodeChannel channel, byte[] message)
    {
        switch (channel)
        {
            case NodeChannel.Consensus: _engine.Deliver(from, message); break;
            case NodeChannel.Mempool: _gossip.Receive(from, message); break;
        }
    }

    private void OnCommitted(Block block, CommitCertificate certificate, IReadOnlyList<Transaction> txs)
    {
        PublishLedgerStatus(block);
        FollowValidatorSet();
        PushToObservers(block, certificate);
        Journal.Committed(txs);
        for (var i = 0; i < txs.Count; i++) Waiters.Complete(txs[i].Hash, new TxOutcome(true, block.Height, i, TxResult.Success));
        Metrics.OnCommit(block, txs.Count, Time.GetUtcNow().ToUnixTimeMilliseconds());
        LogCommitted(_logger, block.Height, txs.Count, block.Header.StateRoot.ToHex(), certificate.Round);
    }

    private void CheckGenesis(DurableConsensusStore consensusRecord)
    {
        var storedChain = _store.Get(ChainIdKey);
        if (storedChain is not null && System.Text.Encoding.UTF8.GetString(storedChain) != Genesis.ChainId)
        {
            throw new NodeConfigurationException($"the data directory belongs to chain '{System.Text.Encoding.UTF8.GetString(storedChain)}', the genesis is for '{Genesis.ChainId}'");
        }

        var expected = Genesis.ValidatorEntries();
        var stored = Ledger.ValidatorSetAt(0);
        if (stored is null) Ledger.InitializeGenesis(expected, Genesis.Ledger);
        else CheckStoredGenesis(stored, expected);

        // The first start ends with the chain id and the consensus record of height 1 in one write; a start that
        // crashed before it does this again. From then on the record must exist (CheckAgainstLedger).
        if (storedChain is null && Ledger.Height == 0 && !consensusRecord.HasRecord)
        {
            var batch = new WriteBatch().Put(ChainIdKey, System.Text.Encoding.UTF8.GetBytes(Genesis.ChainId));
            var record = consensusRecord.AddNextHeight(batch, 1);
            _store.Write(batch, sync: true);
            consensusRecord.Written(record);
        }
    }

    private void CheckStoredGenesis(ValidatorEntry[] stored, ValidatorEntry[] expected)
    {
        if (!Codec.Encode(stored).AsSpan().SequenceEqual(Codec.Encode(expected)))
        {
            throw new NodeConfigurationException("the data directory was initialised from a different genesis (validators differ)");
        }

        if (Ledger.Parameters != Genesis.Ledger)
        {
            throw new NodeConfigurationException($"the data directory was initialised from a different genesis (ledger parameters differ: stored {Ledger.Parameters}, genesis {Genesis.Ledger})");
        }
    }

    /// <summary>The genesis parameters (the one source of consensus timing and block limits), with this node's explicit
    /// overrides, if any, on top.</summary>
    internal static ConsensusOptions ConsensusOptionsFor(GenesisDocument genesis, NodeSettings settings)
    {
        var p = genesis.Consensus;
        var o = settings.Consensus;
        var chain = ConsensusOptions.FromGenesis(genesis.ChainId, p);
        return chain with
        {
            TimeoutPropose = o.TimeoutProposeMs is { } propose ? TimeSpan.FromMilliseconds(propose) : chain.TimeoutPropose,
            TimeoutPrevote = o.TimeoutPrevoteMs is { } prevote ? TimeSpan.FromMilliseconds(prevote) : chain.TimeoutPrevote,
            TimeoutPrecommit = o.TimeoutPrecommitMs is { } precommit ? TimeSpan.FromMilliseconds(precommit) : chain.TimeoutPrecommit,
            BatchDelay = o.BatchDelayMs is { } batch ? TimeSpan.FromMilliseconds(batch) : chain.BatchDelay,
            // Validity is the chain's rule (chain.Limits); the local setting only caps what this node proposes.
            MaxBlockTransactions = Math.Min(o.MaxBlockTransactions ?? p.MaxBlockTransactions, p.MaxBlockTransactions),
            CreateEmptyBlocks = o.CreateEmptyBlocks ?? chain.CreateEmptyBlocks,
            ProposeTransferShare = o.ProposeTransferPercent is { } share ? share / 100.0 : chain.ProposeTransferShare,
            // Both of the node's transports (P2P sessions, the in-process hub) deliver every message of a session.
            RebroadcastProposal = false,
        };
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        // First: loops that end from here on were stopped, they did not fail.
        Supervisor.BeginStop();
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            try
            {
                await _loop.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
            catch (Exception)
            {
                // Recorded and logged by the supervisor when it happened.
            }
        }

        // Stop inputs before the store goes: no message may reach a disposed ledger.
        Admission.Complete();
        var admission = StopAdmission();
        if (admission is not null) await admission.ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false); // a failure is the supervisor's
        await StopReplayAsync().ConfigureAwait(false);
        Journal.Dispose();
        _link.Dispose();
        _gossip.Dispose();
        _engine.Dispose();
        Waiters.CancelAll();
        _store.Dispose();
        _stop.Dispose();
        LogStopped(_logger, Ledger.Height);
    }

    /// <summary>The signing hold of a restored or rebuilt data directory (<see cref="StoreLayout.SigningHoldKey"/>), or null.
    /// When it ends the key is deleted (a synced write) before the first signature: a crash before that only holds again.</summary>
    private SigningHold? OpenSigningHold(IKeyValueStore store)
    {
        if (store.Get(StoreLayout.SigningHoldKey) is null) return null;
        var hold = new SigningHold();
        hold.Releasing += height =>
        {
            store.Write(new WriteBatch().Delete(StoreLayout.SigningHoldKey), sync: true);
            LogHoldReleased(_logger, height, hold.Floor ?? 0);
        };
        return hold;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Signing is held (a restored or rebuilt data directory, at height {Height}): the node follows the chain and signs again only above every height it may have signed before (docs/node.md, \"Restore\")")]
    private static partial void LogHeld(ILogger logger, ulong height);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Signing hold released: signing again from height {Height} (the highest height it may have signed before is {Floor})")]
    private static partial void LogHoldReleased(ILogger logger, ulong height, ulong floor);

    [LoggerMessage(Level = LogLevel.Information, Message = "Node started: chain {ChainId}, node key {NodeKey}, height {Height}, state root {StateRoot}")]
    private static partial void LogStarted(ILogger logger, string chainId, string nodeKey, ulong height, string stateRoot);

    [LoggerMessage(Level = LogLevel.Information, Message = "Observer {NodeKey}: following the chain from {Peers} peers; it never signs and takes no transactions")]
    private static partial void LogObserver(ILogger logger, string nodeKey, int peers);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Node key {NodeKey} is not in the validator set: peers will refuse this node and it will not vote")]
    private static partial void LogNotValidator(ILogger logger, string nodeKey);

    [LoggerMessage(Level = LogLevel.Information, Message = "Committed block {Height}: {Transactions} transactions, state root {StateRoot}, round {Round}")]
    private static partial void LogCommitted(ILogger logger, ulong height, int transactions, string stateRoot, int round);

    [LoggerMessage(Level = LogLevel.Information, Message = "Node stopped at height {Height}")]
    private static partial void LogStopped(ILogger logger, ulong height);
}
