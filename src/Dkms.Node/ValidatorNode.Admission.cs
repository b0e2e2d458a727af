using System.Collections.Concurrent;
using Dkms.Core.Primitives;
using Dkms.Core.Transactions;
using Dkms.Node.Mempool;

namespace Dkms.Node;

public sealed partial class ValidatorNode
{
    // Queued signed forms (by envelope hash), and how many forms of each transaction (by its identifier) are queued.
    private readonly ConcurrentDictionary<Hash32, byte> _queued = new();
    private readonly ConcurrentDictionary<Hash32, int> _queuedIds = new();
    private Task? _admission;

    /// <summary>The one writer of admission: RPC (sync and async) and gossip hand it transactions through its channel.</summary>
    public AdmissionWriter Admission { get; }

    /// <summary>Transactions queued for background admission.</summary>
    public int AdmissionQueueLength => _queued.Count;

    /// <summary>True when <see cref="AdmitLater(IReadOnlyList{Transaction})"/> would refuse every transaction now (the
    /// queue or the pending journal is full).</summary>
    public bool AdmissionQueueIsFull => Admission.LaterIsFull || Journal.IsFull;

    /// <summary>Pending: in the mempool or queued for admission.</summary>
    public bool IsPending(Hash32 hash) => _queuedIds.ContainsKey(hash) || Pool.Contains(hash);

    /// <summary>Admits transactions received over RPC through the admission writer and waits for its answer; each admitted
    /// one is gossiped to the other validators once it is admissible (at once, or when the predecessor an orphan waits for
    /// comes: <see cref="TransactionPool.Admissible"/>). "Mempool full" for all when the writer's queue has no room. On a
    /// node not started the batch waits in the writer's queue and is answered once the writer runs (<see cref="Start"/>).</summary>
    public async Task<AdmitOutcome[]> AdmitAsync(IReadOnlyList<Transaction> txs)
    {
        var outcomes = await Admission.AdmitAsync(txs, relay: true).ConfigureAwait(false);
        for (var i = 0; i < outcomes.Length; i++)
        {
            if (outcomes[i].Status == AdmitStatus.Rejected) Metrics.TransactionsRejected.Inc();
            SettleAdmitted(txs[i], outcomes[i]);
        }

        return outcomes;
    }

    /// <summary>As <see cref="AdmitAsync"/>, blocking (tests and tools). On a node not started yet it is answered as well:
    /// a blocked caller could never start the node, so this starts the admission writer's loop (the one writer either
    /// way; <see cref="Start"/> then finds it running). Consensus does not start, so what it admits is proposed after
    /// <see cref="Start"/>. On a stopped node the writer takes nothing: every transaction is answered "mempool full".</summary>
    public AdmitOutcome[] Admit(IReadOnlyList<Transaction> txs)
    {
        StartAdmission();
        return AdmitAsync(txs).GetAwaiter().GetResult();
    }

    /// <summary>As <see cref="AdmitLater(IReadOnlyList{Transaction}, out Task)"/>, without waiting for the journal.</summary>
    public bool[] AdmitLater(IReadOnlyList<Transaction> txs) => AdmitLater(txs, out _);

    /// <summary>Queues transactions for admission in the background (submit mode <c>async</c>): the
    /// caller does not wait for signature checks. False for each one the full queue (or full journal) refused. Once one
    /// is refused so are all after it, even if the queue has room again by then: a client resubmits the refused
    /// ones in order, so a later transaction of an identity never gets in ahead of its refused predecessor
    /// (it would wait in the pool for a predecessor kept out). Each queued one is journaled; <paramref name="durable"/>
    /// completes when all of them are on disk — only then may they be acknowledged (it faults if the journal failed).
    /// A transaction accepted into the queue is never refused for a full pool: the writer keeps it and tries again
    /// when commits make room, so the queue fills and new submissions are refused (to be retried) instead.</summary>
    public bool[] AdmitLater(IReadOnlyList<Transaction> txs, out Task durable)
    {
        var queued = new bool[txs.Count];
        var waits = new List<Task>();
        // Journal numbers in queue order: a replay after a crash admits them in the order they were queued.
        lock (_admitLaterLock)
        {
            for (var i = 0; i < txs.Count; i++)
            {
                // Deduplicated by the whole signed form: another form of the same transaction (one with a bad signature a
                // relayer sent first, say) must not make this one look queued while it is not.
                if (!_queued.TryAdd(txs[i].EnvelopeHash, 0))
                {
                    // Queued already (by an earlier request, journaled then): acknowledged once its entry is on disk.
                    if (Journal.Append(txs[i]) is not { } earlier) break;
                    waits.Add(earlier);
                    queued[i] = true;
                    continue;
                }

                var journaled = Journal.Append(txs[i]);
                // Counted as queued before the writer can settle it (which uncounts it).
                if (journaled is not null) _queuedIds.AddOrUpdate(txs[i].Hash, 1, (_, n) => n + 1);
                queued[i] = journaled is not null && Admission.TryQueueLater(txs[i]);
                if (queued[i])
                {
                    waits.Add(journaled!);
                    continue;
                }

                if (journaled is not null)
                {
                    Journal.Forget(txs[i]);
                    Uncount(txs[i].Hash);
                }

                _queued.TryRemove(txs[i].EnvelopeHash, out _);
                break;
            }
        }

        durable = waits.Count == 0 ? Task.CompletedTask : Task.WhenAll(waits.Distinct());
        return queued;
    }

    private readonly Lock _admitLaterLock = new();

    /// <summary>The writer settled an async transaction: it is no longer queued; a refusal or a commit tells the journal.</summary>
    private void SettledLater(Transaction tx, AdmitOutcome outcome)
    {
        _queued.TryRemove(tx.EnvelopeHash, out _);
        Uncount(tx.Hash);
        if (outcome.Status == AdmitStatus.Rejected) Metrics.TransactionsRejected.Inc();
        SettleAdmitted(tx, outcome);
    }

    private void Uncount(Hash32 hash)
    {
        while (_queuedIds.TryGetValue(hash, out var n))
        {
            if (n <= 1 ? _queuedIds.TryRemove(KeyValuePair.Create(hash, n)) : _queuedIds.TryUpdate(hash, n - 1, n)) return;
        }
    }

    private readonly Lock _admissionStart = new();

    /// <summary>Starts the writer's loop once: at <see cref="Start"/> or at the first blocking <see cref="Admit"/>, whichever
    /// comes first; never after the node began to stop.</summary>
    private void StartAdmission()
    {
        if (Volatile.Read(ref _admission) is not null) return;
        lock (_admissionStart)
        {
            if (_admission is not null || _stopping) return;
            _admission = Supervisor.Run("admission", _ => Admission.RunAsync(_stop.Token));
        }
    }

    /// <summary>No loop starts from now on; the one running, if any.</summary>
    private Task? StopAdmission()
    {
        lock (_admissionStart)
        {
            _stopping = true;
            return _admission;
        }
    }

    private bool _stopping;
}
