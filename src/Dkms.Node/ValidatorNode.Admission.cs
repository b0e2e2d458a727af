using System.Collections.Concurrent;
using System.Threading.Channels;
using Dkms.Core.Primitives;
using Dkms.Core.Transactions;
using Microsoft.Extensions.Logging;

namespace Dkms.Node;

public sealed partial class ValidatorNode
{
    // FullMode.Wait makes TryWrite refuse when full (DropWrite would report success and drop the transaction,
    // leaving it "pending" forever); a refused submission is answered as mempool-full, to be retried.
    private readonly Channel<Transaction> _admissionQueue;
    private readonly ConcurrentDictionary<Hash32, byte> _queued = new();
    private Task? _admission;

    /// <summary>Pending: in the mempool or queued for admission.</summary>
    public bool IsPending(Hash32 hash) => _queued.ContainsKey(hash) || Pool.Contains(hash);

    /// <summary>Queues transactions for admission in the background (submit mode <c>async</c>): the
    /// caller does not wait for signature checks. False for each one the full queue refused.</summary>
    public bool[] AdmitLater(IReadOnlyList<Transaction> txs)
    {
        var queued = new bool[txs.Count];
        for (var i = 0; i < txs.Count; i++)
        {
            if (!_queued.TryAdd(txs[i].Hash, 0)) { queued[i] = true; continue; }
            queued[i] = _admissionQueue.Writer.TryWrite(txs[i]);
            if (!queued[i]) _queued.TryRemove(txs[i].Hash, out _);
        }

        return queued;
    }

    private static Channel<Transaction> CreateAdmissionQueue(int capacity) => Channel.CreateBounded<Transaction>(
        new BoundedChannelOptions(capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });

    private void StartAdmission() => _admission = Task.Run(AdmissionLoop);

    /// <summary>Admits queued transactions in batches, so signatures of a batch are verified on all cores.</summary>
    private async Task AdmissionLoop()
    {
        var reader = _admissionQueue.Reader;
        var batch = new List<Transaction>(1024);
        try
        {
            while (await reader.WaitToReadAsync(_stop.Token).ConfigureAwait(false))
            {
                batch.Clear();
                while (batch.Count < 4096 && reader.TryRead(out var tx)) batch.Add(tx);
                Admit(batch);
                foreach (var tx in batch) _queued.TryRemove(tx.Hash, out _);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception e)
        {
            LogAdmissionFailed(_logger, e);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Background admission failed; async submissions are no longer admitted")]
    private static partial void LogAdmissionFailed(ILogger logger, Exception e);
}
