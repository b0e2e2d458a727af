using Dkms.Core.Transactions;
using Dkms.Node.Mempool;
using Dkms.Storage;
using Microsoft.Extensions.Logging;

namespace Dkms.Node;

/// <summary>
/// The durability promise (docs/node.md): a transaction acknowledged through this node's RPC — async "pending" or a
/// sync acceptance — is in the pending journal on disk before the answer leaves, is replayed through admission when
/// the node starts (before the RPC serves), and leaves the journal only when it commits or is refused, a refusal being
/// kept on disk for <c>tx.status</c>.
/// </summary>
public sealed partial class ValidatorNode
{
    private Task? _replay;

    /// <summary>Starts the node, then waits until every transaction the journal held is back in admission: the RPC
    /// must not serve (and take new transactions of the same identities) before them.</summary>
    public async Task StartAsync(CancellationToken ct = default)
    {
        Start();
        if (_replay is not null) await _replay.WaitAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Journals a transaction the pool accepted for a sync submission; null when the journal is full (the
    /// submission must then be refused as "mempool full", not acknowledged). The task completes once it is on disk.</summary>
    public Task? Acknowledge(Transaction tx)
    {
        var durable = Journal.Append(tx);
        if (durable is null) return null;
        // It may have committed or been evicted between admission and the append, when nothing told the journal.
        if (!IsPending(tx.Hash)) SettleGone(tx);
        return durable;
    }

    private PendingJournal OpenJournal(IKeyValueStore? store, MempoolOptions options, ILoggerFactory loggers)
    {
        // At most what the pool and the admission queue hold together: every acknowledged transaction is in one of them.
        var journal = new PendingJournal(store ?? new MemoryStore(), options.MaxTransactions + options.AdmissionQueueTransactions,
            options.DurableRejections, loggers.CreateLogger<PendingJournal>(), TimeSpan.FromMilliseconds(options.JournalSyncSpacingMs));
        Metrics.PendingJournalDamaged.Inc(journal.Damaged);
        return journal;
    }

    /// <summary>What admission made of a transaction tells the journal: a refusal of an acknowledged form is recorded,
    /// one found committed is trimmed. Not for a full pool: the admission loop keeps such transactions and retries.</summary>
    private void SettleAdmitted(Transaction tx, AdmitOutcome outcome)
    {
        switch (outcome.Status)
        {
            case AdmitStatus.Rejected: Journal.Rejected(tx, outcome.Result, mempoolFull: false); break;
            case AdmitStatus.AlreadyCommitted: Journal.Committed([tx]); break;
        }
    }

    private void SettleEvicted(Transaction tx, TxResult why)
    {
        if (why.Code == ErrorCode.Duplicate)
        {
            Journal.Committed([tx]);
            return;
        }

        Pool.TryGetRejection(tx.Hash, out _, out var full);
        Journal.Rejected(tx, why, full);
    }

    private void SettleGone(Transaction tx)
    {
        if (Ledger.GetTransaction(tx.Hash) is not null) Journal.Committed([tx]);
        else if (Pool.TryGetRejection(tx.Hash, out var why, out var full)) Journal.Rejected(tx, why, full);
        // Otherwise the eviction is under way: its event finds the entry and settles it.
    }

    /// <summary>Puts the journal's transactions back into the admission queue in arrival order, waiting for room as
    /// async submissions do not (they are refused when the queue is full; these were acknowledged already).</summary>
    private async Task ReplayJournalAsync()
    {
        var recovered = Journal.Recovered;
        if (recovered.Count == 0) return;
        try
        {
            foreach (var tx in recovered)
            {
                if (!_queued.TryAdd(tx.EnvelopeHash, 0)) continue;
                _queuedIds.AddOrUpdate(tx.Hash, 1, (_, n) => n + 1);
                await Admission.QueueLaterAsync(tx, _stop.Token).ConfigureAwait(false);
            }

            LogReplayed(_logger, recovered.Count);
        }
        catch (Exception e) when (e is OperationCanceledException or System.Threading.Channels.ChannelClosedException)
        {
            // Stopping: the journal still holds them for the next start.
        }
    }

    private async Task StopReplayAsync()
    {
        if (_replay is null) return;
        try
        {
            await _replay.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Stopping, or a failure the supervisor recorded (and stops the node for).
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Replayed {Count} acknowledged transactions from the pending journal into admission")]
    private static partial void LogReplayed(ILogger logger, int count);
}
