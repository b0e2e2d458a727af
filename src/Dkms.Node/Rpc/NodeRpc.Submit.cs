using Dkms.Core.Primitives;
using Dkms.Core.Transactions;
using Dkms.Node.Mempool;
using Dkms.Rpc;

namespace Dkms.Node.Rpc;

/// <summary>The submit methods (<c>tx.submit</c>, <c>tx.submitBatch</c>, <c>tx.status</c>): admission only through the
/// submit side (the one admission writer), committed locations from the read side.</summary>
/// <param name="maxCommitWaitMs">The longest a <c>commit</c>-mode submission waits (<c>NodeSettings.MaxCommitWaitMs</c>).</param>
public sealed class SubmitRpc(ILedgerReads ledger, ISubmitSide submissions, TimeProvider time, int maxCommitWaitMs)
{
    private const int DefaultCommitTimeoutMs = NodeRpc.DefaultCommitTimeoutMs;
    private const int MaxBatchTransactions = NodeRpc.MaxBatchTransactions;
    private const string MempoolFullCode = NodeRpc.MempoolFullCode;

    public TxStatusResult Status(HashParams p)
    {
        var hash = QueryRpc.ParseHash(p.Hash, "hash");
        if (ledger.GetTransaction(hash) is { } location) return new(hash.ToHex(), TxStatuses.Committed, location.Height, location.Index);
        if (submissions.IsPending(hash)) return new(hash.ToHex(), TxStatuses.Pending);
        // A refusal by the pool, or one of a transaction acknowledged before this node last restarted (the journal's).
        if (submissions.TryGetRejection(hash, out var why, out var full))
        {
            return new(hash.ToHex(), TxStatuses.Rejected, Code: full ? MempoolFullCode : why.Code.ToString(), Message: why.Message);
        }

        return new(hash.ToHex(), TxStatuses.Unknown);
    }

    /// <summary>One transaction. A rejection or a full mempool is a JSON-RPC error (distinct codes); in mode
    /// <c>commit</c> the answer comes when the block is committed, or a timeout error.</summary>
    public async Task<SubmitResult> SubmitAsync(SubmitParams p, CancellationToken ct)
    {
        RefuseOnObserver();
        var mode = ParseMode(p.Mode);
        var tx = DecodeTransaction(p.Tx, out var decodeError);
        if (tx is null) throw Rejected(null, decodeError);
        var result = (await SubmitAllAsync([tx], mode, p.TimeoutMs, ct).ConfigureAwait(false))[0];
        if (result.Status == TxStatuses.Rejected)
        {
            if (result.Code == MempoolFullCode) throw new RpcError(RpcErrorCodes.MempoolFull, result.Message ?? "mempool full", new TxErrorData(result.Hash));
            throw new RpcError(RpcErrorCodes.TransactionRejected, $"transaction rejected: {result.Code}: {result.Message}",
                new TxErrorData(result.Hash, result.Code, result.Message, result.Height, result.Index));
        }

        if (mode == SubmitModes.Commit && result.Status != TxStatuses.Committed)
        {
            throw new RpcError(RpcErrorCodes.CommitTimeout, "the transaction was not committed within the timeout; it may still be; ask tx.status", new TxErrorData(result.Hash));
        }

        return result;
    }

    /// <summary>Many transactions; one result each, in order. Rejections (and a full mempool, code
    /// <c>MempoolFull</c>) are per transaction; only a malformed request is an error of the whole call.</summary>
    public async Task<SubmitResult[]> SubmitBatchAsync(SubmitBatchParams p, CancellationToken ct)
    {
        RefuseOnObserver();
        var mode = ParseMode(p.Mode);
        if (p.Txs is null || p.Txs.Length == 0) throw new RpcError(RpcErrorCodes.InvalidParams, "txs must list at least one transaction");
        if (p.Txs.Length > MaxBatchTransactions) throw new RpcError(RpcErrorCodes.InvalidParams, $"at most {MaxBatchTransactions} transactions per batch");
        // Under overload most batches meet a full queue: answer them without decoding (only the hash is needed).
        if (mode == SubmitModes.Async && submissions.AdmissionQueueIsFull) return [.. p.Txs.Select(RefuseUndecoded)];

        var results = new SubmitResult[p.Txs.Length];
        var decoded = new List<Transaction>(p.Txs.Length);
        var positions = new List<int>(p.Txs.Length);
        for (var i = 0; i < p.Txs.Length; i++)
        {
            var tx = DecodeTransaction(p.Txs[i], out var error);
            if (tx is null)
            {
                results[i] = new SubmitResult("", TxStatuses.Rejected, Code: error.Code.ToString(), Message: error.Message);
                continue;
            }

            decoded.Add(tx);
            positions.Add(i);
        }

        var submitted = await SubmitAllAsync(decoded, mode, p.TimeoutMs, ct).ConfigureAwait(false);
        for (var j = 0; j < submitted.Length; j++) results[positions[j]] = submitted[j];
        return results;
    }

    /// <summary>An observer takes no transactions and forwards none (docs/node.md, "Observers"): the client is told to
    /// submit to a validator.</summary>
    private void RefuseOnObserver()
    {
        if (!submissions.TakesTransactions) throw new RpcError(RpcErrorCodes.ObserverNode, "this node is an observer: it serves reads and takes no transactions; submit to a validator");
    }

    private async Task<SubmitResult[]> SubmitAllAsync(IReadOnlyList<Transaction> txs, string mode, int? timeoutMs, CancellationToken ct)
    {
        if (mode == SubmitModes.Async) return await SubmitLaterAsync(txs).ConfigureAwait(false);

        AdmitOutcome[] outcomes;
        try
        {
            // Handed to the node's one admission writer; "mempool full" at once when its queue has no room.
            outcomes = await submissions.AdmitAsync(txs).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new RpcError(RpcErrorCodes.Unavailable, "the node is stopping");
        }
        catch (Exception e) when (e is not (RpcError or OperationCanceledException))
        {
            // Admission failed (the supervisor reports it and stops the node): nothing was acknowledged.
            throw new RpcError(RpcErrorCodes.Unavailable, "the node cannot admit transactions now; submit to another node");
        }

        var results = new SubmitResult[txs.Count];
        var waits = new List<(int Index, Task<TxOutcome> Task)>();
        var journaled = new List<Task>();
        for (var i = 0; i < txs.Count; i++)
        {
            var hash = txs[i].Hash;
            var o = outcomes[i];
            results[i] = o.Status switch
            {
                AdmitStatus.Full => new SubmitResult(hash.ToHex(), TxStatuses.Rejected, Code: MempoolFullCode, Message: o.Result.Message),
                AdmitStatus.Rejected => new SubmitResult(hash.ToHex(), TxStatuses.Rejected, Code: o.Result.Code.ToString(), Message: o.Result.Message),
                AdmitStatus.AlreadyCommitted => Duplicate(hash, ledger.GetTransaction(hash)),
                _ => CommittedOrPending(hash),
            };
            if (results[i].Status == TxStatuses.Pending)
            {
                // Acknowledged only once journaled: a node that cannot keep it answers "mempool full" instead.
                if (submissions.Acknowledge(txs[i]) is not { } durable)
                {
                    results[i] = new SubmitResult(hash.ToHex(), TxStatuses.Rejected, Code: MempoolFullCode, Message: JournalFullMessage);
                    continue;
                }

                journaled.Add(durable);
            }

            if (mode == SubmitModes.Commit && results[i].Status == TxStatuses.Pending) waits.Add((i, submissions.WaitForOutcome(hash)));
        }

        await DurableAsync(journaled).ConfigureAwait(false);

        if (waits.Count == 0) return results;
        // A block may have committed between admission and registering the waiter: look again.
        for (var w = 0; w < waits.Count; w++) results[waits[w].Index] = CommittedOrPending(txs[waits[w].Index].Hash);

        var timeout = TimeSpan.FromMilliseconds(Math.Clamp(timeoutMs ?? DefaultCommitTimeoutMs, 1, maxCommitWaitMs));
        try
        {
            await Task.WhenAll(waits.Select(w => w.Task)).WaitAsync(timeout, time, ct).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new RpcError(RpcErrorCodes.Unavailable, "the node is stopping");
        }

        foreach (var (index, task) in waits)
        {
            var hash = txs[index].Hash;
            if (task.IsCompletedSuccessfully)
            {
                var outcome = task.Result;
                results[index] = outcome.Committed
                    ? new SubmitResult(hash.ToHex(), TxStatuses.Committed, outcome.Height, outcome.Index)
                    : new SubmitResult(hash.ToHex(), TxStatuses.Rejected, Code: outcome.Rejection.Code.ToString(), Message: outcome.Rejection.Message);
            }
            else
            {
                results[index] = CommittedOrPending(hash);
                submissions.ForgetWait(hash, task);
            }
        }

        return results;
    }

    /// <summary>Async mode: a transaction already committed is answered <c>Duplicate</c> at once (one index read, the same
    /// one a sync submission makes); the others are queued for admission in order and answered "pending" once they are
    /// in the pending journal on disk (one synced write serves every request that came meanwhile).</summary>
    private async Task<SubmitResult[]> SubmitLaterAsync(IReadOnlyList<Transaction> txs)
    {
        var results = new SubmitResult[txs.Count];
        var fresh = new List<Transaction>(txs.Count);
        var positions = new List<int>(txs.Count);
        for (var i = 0; i < txs.Count; i++)
        {
            if (ledger.GetTransaction(txs[i].Hash) is { } location)
            {
                results[i] = Duplicate(txs[i].Hash, location);
                continue;
            }

            fresh.Add(txs[i]);
            positions.Add(i);
        }

        var queued = submissions.AdmitLater(fresh, out var durable);
        await DurableAsync([durable]).ConfigureAwait(false);
        for (var j = 0; j < fresh.Count; j++)
        {
            var hash = fresh[j].Hash.ToHex();
            results[positions[j]] = queued[j]
                ? new SubmitResult(hash, TxStatuses.Pending)
                : new SubmitResult(hash, TxStatuses.Rejected, Code: MempoolFullCode, Message: QueueFullMessage);
        }

        return results;
    }

    /// <summary>A committed transaction submitted again (SPEC §3): rejected as <c>Duplicate</c>, saying where it was
    /// committed, so a client that lost the first answer still learns the truth (<c>tx.status</c> answers
    /// <c>committed</c>).</summary>
    private static SubmitResult Duplicate(Hash32 hash, Ledger.State.TxLocation? location) => location is null
        ? new SubmitResult(hash.ToHex(), TxStatuses.Rejected, Code: nameof(ErrorCode.Duplicate), Message: $"transaction {hash} is already committed")
        : new SubmitResult(hash.ToHex(), TxStatuses.Rejected, location.Height, location.Index, nameof(ErrorCode.Duplicate),
            $"transaction {hash} is already committed at height {location.Height}, index {location.Index}");

    private SubmitResult CommittedOrPending(Hash32 hash) =>
        ledger.GetTransaction(hash) is { } loc
            ? new SubmitResult(hash.ToHex(), TxStatuses.Committed, loc.Height, loc.Index)
            : new SubmitResult(hash.ToHex(), TxStatuses.Pending);

    private static string ParseMode(string? mode) => mode switch
    {
        null or "" => SubmitModes.Sync,
        SubmitModes.Async or SubmitModes.Sync or SubmitModes.Commit => mode,
        _ => throw new RpcError(RpcErrorCodes.InvalidParams, $"mode '{mode}' is not one of async, sync, commit"),
    };

    private static Transaction? DecodeTransaction(string? base64, out TxResult error)
    {
        var bytes = DecodeBase64(base64, out error);
        if (bytes is null) return null;
        if (!TransactionCodec.TryDecode(bytes, out var tx, out error)) return null;
        return tx;
    }

    private static byte[]? DecodeBase64(string? base64, out TxResult error)
    {
        error = TxResult.Success;
        if (string.IsNullOrEmpty(base64))
        {
            error = TxResult.Fail(ErrorCode.Malformed, "tx is empty");
            return null;
        }

        var bytes = new byte[base64.Length * 3 / 4 + 3];
        if (!Convert.TryFromBase64String(base64, bytes, out var n))
        {
            error = TxResult.Fail(ErrorCode.Malformed, "tx is not base64");
            return null;
        }

        return bytes[..n];
    }

    /// <summary>"Mempool full" for one item of a batch, naming its hash (SHA-256 of the signed body) without decoding the rest.</summary>
    private static SubmitResult RefuseUndecoded(string? base64)
    {
        var bytes = DecodeBase64(base64, out var error);
        if (bytes is null) return new SubmitResult("", TxStatuses.Rejected, Code: error.Code.ToString(), Message: error.Message);
        return TransactionCodec.TryIdentify(bytes, out var hash)
            ? new SubmitResult(hash.ToHex(), TxStatuses.Rejected, Code: MempoolFullCode, Message: QueueFullMessage)
            : new SubmitResult("", TxStatuses.Rejected, Code: nameof(ErrorCode.Malformed), Message: "not a signed transaction");
    }

    private const string QueueFullMessage = "the admission queue is full; retry later";

    private const string JournalFullMessage = "the pending journal is full; retry later";

    /// <summary>Waits until the acknowledged transactions are on disk. If the journal cannot write, nothing is
    /// acknowledged: the client learns the node is unavailable and asks <c>tx.status</c> or resubmits elsewhere.</summary>
    private static async Task DurableAsync(List<Task> journaled)
    {
        try
        {
            await Task.WhenAll(journaled).ConfigureAwait(false);
        }
        catch (Dkms.Storage.StorageException)
        {
            throw new RpcError(RpcErrorCodes.Unavailable, "the node cannot store acknowledged transactions; submit to another node");
        }
    }

    private static RpcError Rejected(string? hash, TxResult why) =>
        new(RpcErrorCodes.TransactionRejected, $"transaction rejected: {why.Code}: {why.Message}", new TxErrorData(hash, why.Code.ToString(), why.Message));
}
