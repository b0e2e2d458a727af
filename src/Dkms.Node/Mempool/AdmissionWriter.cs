using System.Threading.Channels;
using Dkms.Core.Transactions;
using Dkms.Node.Mempool.Admission;
using Microsoft.Extensions.Logging;

namespace Dkms.Node.Mempool;

/// <summary>
/// The one writer of admission: RPC sync submissions, RPC async submissions and batches received by gossip are handed
/// to it through one bounded channel, and its loop alone calls <see cref="TransactionPool.AdmitBatch(IReadOnlyList{Transaction}, Func{int, bool})"/>,
/// taking what came meanwhile as one batch so its signatures are verified together. Sync callers and the gossip
/// receiver await their answer; async submissions are answered "pending" at once and settled later
/// (<see cref="SettledLater"/>). A full channel answers "mempool full" (to be retried) at once: nothing waits in an
/// unbounded queue. Async and direct (sync and gossip) transactions have a budget each, so a flood of one kind cannot
/// starve the other.
/// <para>
/// It is one of the pool's two owners (the other is consensus): made for a pool, it makes the pool refuse changes outside
/// their turns. Expiry of transactions that waited too long for a predecessor is its work too: a timer on its
/// <see cref="TimeProvider"/> only marks expiry due and wakes the loop, which expires in its own turn.
/// </para>
/// </summary>
public sealed partial class AdmissionWriter
{
    private readonly TransactionPool _pool;
    private readonly int _capacity;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly IAdmissionMetrics? _metrics;
    private readonly Channel<Work> _channel;
    // Transactions in the channel (and, for async ones, held by the loop for room) per budget.
    private int _direct;
    private int _later;
    // 1 when the clock asked for expiry and the loop has not done it yet.
    private int _expiryDue;

    public AdmissionWriter(TransactionPool pool, int capacity, TimeProvider time, ILogger logger, IAdmissionMetrics? metrics = null)
    {
        _pool = pool;
        _capacity = capacity;
        _time = time;
        _logger = logger;
        _metrics = metrics;
        // Each item holds at least one transaction, so the two budgets bound the items too (plus one expiry wake-up);
        // Wait mode makes a write to a full channel fail rather than drop.
        _channel = Channel.CreateBounded<Work>(new BoundedChannelOptions(2 * capacity + 1) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        pool.RequireOwners();
    }

    /// <summary>How often the loop expires transactions that waited too long for a predecessor (on its clock); zero or
    /// less: never (commits still expire them).</summary>
    public TimeSpan ExpiryInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Raised on the writer's loop for an async transaction once admission decided it (any outcome but a full
    /// pool: the writer keeps such a transaction and tries again when there is room).</summary>
    public event Action<Transaction, AdmitOutcome>? SettledLater;

    /// <summary>Transactions waiting for the writer, all sources.</summary>
    public int Queued => Volatile.Read(ref _direct) + Volatile.Read(ref _later);

    /// <summary>True when an async submission would be refused now.</summary>
    public bool LaterIsFull => Volatile.Read(ref _later) >= _capacity;

    /// <summary>Admits <paramref name="txs"/> (a sync submission, <paramref name="relay"/>: gossiped once admissible; or a
    /// batch received by gossip) and answers with one outcome each; all "mempool full" at once when the queue has no room.</summary>
    public Task<AdmitOutcome[]> AdmitAsync(IReadOnlyList<Transaction> txs, bool relay)
    {
        if (txs.Count == 0) return Task.FromResult(Array.Empty<AdmitOutcome>());
        if (!TryReserve(ref _direct, txs.Count)) return Task.FromResult(Busy(txs.Count));
        var work = new Work(txs, relay ? Source.Rpc : Source.Gossip, new TaskCompletionSource<AdmitOutcome[]>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_channel.Writer.TryWrite(work))
        {
            Release(ref _direct, txs.Count);
            return Task.FromResult(Busy(txs.Count));
        }

        Depth();
        return work.Done!.Task;
    }

    /// <summary>Queues one async submission; false when the async budget is used up (or the writer stopped).</summary>
    public bool TryQueueLater(Transaction tx)
    {
        if (!TryReserve(ref _later, 1, alone: false)) return false;
        if (!_channel.Writer.TryWrite(new Work([tx], Source.Later, null)))
        {
            Release(ref _later, 1);
            return false;
        }

        Depth();
        return true;
    }

    /// <summary>Queues an async transaction, waiting for room (the journal's replay at start: acknowledged already).</summary>
    public async Task QueueLaterAsync(Transaction tx, CancellationToken ct)
    {
        while (!TryQueueLater(tx)) await Task.Delay(RoomPollInterval, _time, ct).ConfigureAwait(false);
    }

    /// <summary>No more work: the loop ends once the channel is drained.</summary>
    public void Complete() => _channel.Writer.TryComplete();

    /// <summary>The clock's tick (on the timer's thread): marks expiry due and wakes the loop, changing nothing itself.
    /// One wake-up in the channel at a time; if the channel is full the loop is busy and sees the mark at its next turn.</summary>
    private void ExpiryTick()
    {
        if (Interlocked.Exchange(ref _expiryDue, 1) == 0) _channel.Writer.TryWrite(Wake);
    }

    /// <summary>Expiry in the writer's turn.</summary>
    private void ExpireIfDue()
    {
        if (Interlocked.Exchange(ref _expiryDue, 0) == 0) return;
        using (PoolOwnership.Enter(PoolOwner.Admission)) _pool.ExpireWaiting();
    }

    /// <summary>The writer's loop (run by the node's supervisor as <c>admission</c>).</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        var reader = _channel.Reader;
        var held = new List<Transaction>();
        var works = new List<Work>();
        Task<bool>? incoming = null; // one wait for new work at a time, kept across polls for room
        Exception? failure = null;
        using var expiry = ExpiryInterval > TimeSpan.Zero ? _time.CreateTimer(_ => ExpiryTick(), null, ExpiryInterval, ExpiryInterval) : null;
        try
        {
            while (true)
            {
                ExpireIfDue();
                if (held.Count > 0) AdmitHeld(held);
                incoming ??= reader.WaitToReadAsync(ct).AsTask();
                if (held.Count > 0 && !incoming.IsCompleted)
                {
                    // Held for room: look again after a while, or as soon as new work comes (sync callers must not wait).
                    await Task.WhenAny(incoming, Task.Delay(RoomPollInterval, _time, ct)).ConfigureAwait(false);
                    ct.ThrowIfCancellationRequested();
                    continue;
                }

                var more = await incoming.ConfigureAwait(false);
                incoming = null;
                if (!more) return;
                works.Clear();
                var count = 0;
                while (count < BatchTransactions && reader.TryRead(out var work))
                {
                    works.Add(work);
                    count += work.Txs.Count;
                }

                if (works.Count > 0) Admit(works, held);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            failure = e;
            LogFailed(_logger, e);
            throw; // to the supervisor: /health names the loop and the node stops
        }
        finally
        {
            // Whoever still waits gets an answer, none hangs: cancelled when the node stops, admission's failure otherwise
            // (the gossip receive loop fails with it too: its batch was not admitted).
            _channel.Writer.TryComplete();
            foreach (var work in works) Abandon(work, failure);
            while (reader.TryRead(out var left)) Abandon(left, failure);
        }
    }

    private static void Abandon(Work work, Exception? failure)
    {
        if (failure is null) work.Done?.TrySetCanceled();
        else work.Done?.TrySetException(failure);
    }

    /// <summary>One batch of everything taken: direct transactions and async ones (behind any async ones held for room,
    /// to keep their order).</summary>
    private void Admit(List<Work> works, List<Transaction> held)
    {
        // An async transaction is taken only while the pool has room for it (after what comes before it), so that one
        // accepted into the queue is never refused for a full pool; from the first that does not fit on they are held.
        var holdLater = held.Count > 0;
        var (roomCount, roomBytes) = _pool.Room;
        var later = new HashSet<Work>(ReferenceEqualityComparer.Instance);
        var txs = new List<Transaction>();
        var relay = new List<bool>();
        foreach (var work in works)
        {
            if (work.Source == Source.Wake) continue;
            if (work.Source == Source.Later)
            {
                holdLater |= roomCount <= 0 || work.Txs[0].Encoded.Length > roomBytes;
                if (holdLater) continue;
                later.Add(work);
            }

            roomCount -= work.Txs.Count;
            roomBytes -= work.Txs.Sum(t => (long)t.Encoded.Length);
            txs.AddRange(work.Txs);
            relay.AddRange(work.Txs.Select(_ => work.Source != Source.Gossip));
        }

        var outcomes = txs.Count == 0 ? [] : AdmitInTurn(txs, i => relay[i]);
        var at = 0;
        foreach (var work in works)
        {
            if (work.Source == Source.Wake) continue;
            if (work.Source == Source.Later)
            {
                if (!later.Contains(work))
                {
                    held.AddRange(work.Txs);
                    continue;
                }

                var outcome = outcomes[at++];
                if (outcome.Status == AdmitStatus.Full) held.Add(work.Txs[0]);
                else Settle(work.Txs[0], outcome);
                continue;
            }

            var slice = outcomes.AsSpan(at, work.Txs.Count).ToArray();
            at += work.Txs.Count;
            Release(ref _direct, work.Txs.Count);
            work.Done!.TrySetResult(slice);
        }

        Depth();
    }

    /// <summary>Async transactions held for a full pool, in order: as many as the pool has room for now.</summary>
    private void AdmitHeld(List<Transaction> held)
    {
        var (roomCount, roomBytes) = _pool.Room;
        var take = 0;
        while (take < held.Count && take < Math.Min(roomCount, BatchTransactions) && held[take].Encoded.Length <= roomBytes) roomBytes -= held[take++].Encoded.Length;
        if (take == 0) return;
        var batch = held.GetRange(0, take);
        var outcomes = AdmitInTurn(batch, _ => true);
        var still = new List<Transaction>();
        for (var i = 0; i < batch.Count; i++)
        {
            // Transactions gossiped in meanwhile may have taken the room: try again later, in the same order.
            if (outcomes[i].Status == AdmitStatus.Full) still.Add(batch[i]);
            else Settle(batch[i], outcomes[i]);
        }

        held.RemoveRange(0, take);
        held.InsertRange(0, still);
        Depth();
    }

    /// <summary>The pool's admission, in the writer's turn: the pool's events it raises are raised in it.</summary>
    private AdmitOutcome[] AdmitInTurn(IReadOnlyList<Transaction> txs, Func<int, bool> relayAt)
    {
        using (PoolOwnership.Enter(PoolOwner.Admission)) return _pool.AdmitBatch(txs, relayAt);
    }

    private void Settle(Transaction tx, AdmitOutcome outcome)
    {
        Release(ref _later, 1);
        SettledLater?.Invoke(tx, outcome);
    }

    /// <summary>Takes <paramref name="n"/> of a budget. A direct batch larger than the whole budget still goes when nothing
    /// else is queued (a submission of up to the RPC's batch limit must be possible at all).</summary>
    private bool TryReserve(ref int budget, int n, bool alone = true)
    {
        while (true)
        {
            var now = Volatile.Read(ref budget);
            if (now + n > _capacity && !(alone && now == 0))
            {
                _metrics?.Stopped("queue", n);
                return false;
            }

            if (Interlocked.CompareExchange(ref budget, now + n, now) == now) return true;
        }
    }

    private static void Release(ref int budget, int n) => Interlocked.Add(ref budget, -n);

    private void Depth() => _metrics?.QueueDepth(Queued);

    private static AdmitOutcome[] Busy(int count) =>
        [.. Enumerable.Repeat(AdmitOutcome.Full("the admission queue is full; retry later"), count)];

    private enum Source
    {
        Rpc,
        Gossip,
        Later,
        // No transactions: wakes the loop for the expiry the clock marked due.
        Wake,
    }

    private sealed record Work(IReadOnlyList<Transaction> Txs, Source Source, TaskCompletionSource<AdmitOutcome[]>? Done);

    private static readonly Work Wake = new([], Source.Wake, null);

    /// <summary>Most transactions judged in one batch (their signatures verified together).</summary>
    private const int BatchTransactions = 4096;

    private static readonly TimeSpan RoomPollInterval = TimeSpan.FromMilliseconds(10);

    [LoggerMessage(Level = LogLevel.Error, Message = "Admission failed; submissions and gossip are no longer admitted")]
    private static partial void LogFailed(ILogger logger, Exception e);
}
