using Dkms.Consensus;
using Dkms.Core.Blocks;
using Dkms.Core.Encoding;
using Dkms.Core.Primitives;
using Dkms.Core.Transactions;
using Dkms.Ledger;
using Dkms.Ledger.Execution;
using Dkms.Node.Mempool;
using Dkms.Storage;

namespace Dkms.Node.Consensus;

/// <summary>
/// The DKMS ledger behind the consensus engine's application interface. Blocks and their commit
/// certificates are stored in the ledger's own commit batch, so a block, its certificate and its
/// state changes land on disk together or not at all. Proposals come from the node's
/// <see cref="TransactionPool"/>. Called only from the engine's loop thread, and that is consensus's turn as the pool's
/// owner: it changes the pool only in the update after a commit and in the recheck of what a proposal could not take.
/// It admits nothing: transactions come in through the pool's <see cref="AdmissionWriter"/>, in tests too.
/// </summary>
public sealed class LedgerApplication : IConsensusApplication
{

    private readonly DkmsLedger _ledger;
    private readonly IKeyValueStore _store;
    private readonly TransactionPool _pool;
    private readonly DurableConsensusStore? _consensusRecord;
    private ExecutedBlock? _lastExecuted;
    private Hash32 _lastBlockHash;

    /// <param name="consensusRecord">The validator's consensus record on the same store: each commit batch moves it to
    /// the next height, so the ledger and the record cannot disagree after a crash.</param>
    public LedgerApplication(DkmsLedger ledger, IKeyValueStore store, TransactionPool? pool = null, DurableConsensusStore? consensusRecord = null)
    {
        _ledger = ledger;
        _store = store;
        _consensusRecord = consensusRecord;
        _pool = pool ?? new TransactionPool(ledger, new MempoolOptions());
        if (ledger.Height > 0 && TryGetCommitted(ledger.Height, out var block, out _)) _lastBlockHash = block.Hash;
    }

    public DkmsLedger Ledger => _ledger;

    public TransactionPool Pool => _pool;

    /// <summary>Raised on the loop thread after a block is durably committed, with the transactions it carried.</summary>
    public event Action<Block, CommitCertificate, IReadOnlyList<Transaction>>? BlockCommitted;

    public ChainTip Tip => new(_ledger.Height, _lastBlockHash, (long)_ledger.LastBlockTimeMs);

    /// <summary>Only transactions that could go into the next block count: ones waiting for a predecessor must not
    /// make an idle chain propose (empty) blocks.</summary>
    public bool HasPendingTransactions => _pool.ReadyCount > 0;

    public IReadOnlyList<byte[]> SelectTransactions(ulong height, long timestampMs, int maxCount, int maxBytes)
    {
        var candidates = _pool.Reap(maxCount, maxBytes);
        if (candidates.Count == 0 || !CanExecute(height, timestampMs, out _)) return [];
        // Propose only what the ledger accepts, in order. The execution is kept: the engine's Execute of this
        // very batch is answered from it, so the proposer executes its block once.
        var executed = _ledger.ExecuteAcceptable(height, (ulong)timestampMs, candidates);
        if (executed.Transactions.Count < candidates.Count)
        {
            var kept = executed.Transactions.Select(t => t.Hash).ToHashSet();
            // Waiting ones were expected to fail; recheck only what looked ready (it may have become invalid).
            using (PoolOwnership.Enter(PoolOwner.Consensus)) _pool.Recheck([.. candidates.Where(t => !kept.Contains(t.Hash) && !_pool.IsWaiting(t.Hash))]);
        }

        _lastExecuted = executed;
        return [.. executed.Transactions.Select(t => t.Encoded)];
    }

    public ExecutionResult Execute(ulong height, long timestampMs, IReadOnlyList<byte[]> transactions)
    {
        if (!CanExecute(height, timestampMs, out var why)) return ExecutionResult.Rejected(why);
        if (_lastExecuted is { } kept && IsExecutionOf(kept, height, timestampMs, transactions)) return ExecutionResult.Ok(kept.StateRoot);
        var txs = new List<Transaction>(transactions.Count);
        foreach (var bytes in transactions)
        {
            if (!TransactionCodec.TryDecode(bytes, out var tx, out var error)) return ExecutionResult.Rejected(error.ToString());
            txs.Add(tx!);
        }

        var executed = _ledger.Execute(height, (ulong)timestampMs, txs);
        if (!executed.AllAccepted)
        {
            var i = executed.Results.ToList().FindIndex(r => !r.IsOk);
            return ExecutionResult.Rejected($"transaction {i} is invalid: {executed.Results[i]}");
        }

        _lastExecuted = executed;
        return ExecutionResult.Ok(executed.StateRoot);
    }

    public void Commit(Block block, CommitCertificate certificate)
    {
        var executed = _lastExecuted;
        if (executed is null || executed.StateRoot != block.Header.StateRoot
            || !IsExecutionOf(executed, block.Height, block.Header.TimestampMs, block.Transactions))
        {
            // Not the block last executed here (e.g. one fetched while catching up): execute it now.
            var result = Execute(block.Height, block.Header.TimestampMs, block.Transactions);
            if (!result.Accepted || result.StateRoot != block.Header.StateRoot)
            {
                throw new InvalidOperationException($"decided block {block.Height} does not execute to its state root: {result.Error}");
            }

            executed = _lastExecuted!;
        }

        var extra = new WriteBatch()
            .Put(StoreLayout.HeightKey(StoreLayout.Blocks, block.Height), Codec.Encode(block))
            .Put(StoreLayout.HeightKey(StoreLayout.Certificates, block.Height), Codec.Encode(certificate));
        var record = _consensusRecord?.AddNextHeight(extra, block.Height + 1);
        // The ledger's commit and the pool's update are one step for admission, which judges under the pool's lock.
        using (PoolOwnership.Enter(PoolOwner.Consensus))
        {
            _pool.Commit(executed.Accepted, () =>
            {
                _ledger.Commit(executed, extra);
                if (record is not null) _consensusRecord!.Written(record);
                _lastBlockHash = block.Hash;
            });
        }

        _lastExecuted = null;
        BlockCommitted?.Invoke(block, certificate, executed.Accepted);
    }

    public bool TryGetCommitted(ulong height, out Block block, out CommitCertificate certificate)
    {
        // One snapshot: the pair is read as one commit left it.
        using var snapshot = _store.Snapshot();
        var b = snapshot.Get(StoreLayout.HeightKey(StoreLayout.Blocks, height));
        var c = snapshot.Get(StoreLayout.HeightKey(StoreLayout.Certificates, height));
        block = b is null ? null! : Codec.Decode<Block>(b);
        certificate = c is null ? null! : Codec.Decode<CommitCertificate>(c);
        return b is not null && c is not null;
    }

    public ValidatorSet ValidatorSetAt(ulong height)
    {
        var entries = _ledger.ValidatorSetAt(height) ?? throw new InvalidOperationException("the ledger has no genesis validator set");
        return new ValidatorSet(entries.Select(v => new Validator(v.NodeKey, v.Power)));
    }

    private bool CanExecute(ulong height, long timestampMs, out string why)
    {
        why = height != _ledger.Height + 1 ? $"height {height} does not follow {_ledger.Height}"
            : timestampMs < 0 || (ulong)timestampMs < _ledger.LastBlockTimeMs ? "timestamp goes backwards"
            : "";
        return why.Length == 0;
    }

    /// <summary>True when <paramref name="executed"/> is the execution of exactly these transactions at this height and time.</summary>
    private static bool IsExecutionOf(ExecutedBlock executed, ulong height, long timestampMs, IReadOnlyList<byte[]> transactions)
    {
        if (executed.Height != height || executed.BlockTimeMs != (ulong)timestampMs || executed.Transactions.Count != transactions.Count) return false;
        for (var i = 0; i < transactions.Count; i++)
        {
            var mine = executed.Transactions[i].Encoded;
            if (!ReferenceEquals(mine, transactions[i]) && !mine.AsSpan().SequenceEqual(transactions[i])) return false;
        }

        return true;
    }
}
