using Dkms.Core.Transactions;
using Dkms.Node.Mempool;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dkms.Node.Tests.Support;

/// <summary>A pool's admission writer with its loop running, as a node runs it: the one way tests outside a node admit
/// into a pool that consensus also uses (the writer makes the pool refuse any other writer).</summary>
public sealed class RunningWriter : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public RunningWriter(TransactionPool pool, TimeProvider time, int capacity = 10_000)
    {
        Writer = new AdmissionWriter(pool, capacity, time, NullLogger.Instance);
        _loop = Task.Run(() => Writer.RunAsync(_stop.Token));
    }

    public AdmissionWriter Writer { get; }

    /// <summary>Admits <paramref name="txs"/> (as a gossiped batch: not relayed) and waits for the writer's answer.</summary>
    public AdmitOutcome[] Admit(params Transaction[] txs) => Writer.AdmitAsync(txs, relay: false).GetAwaiter().GetResult();

    public void Dispose()
    {
        Writer.Complete();
        _stop.Cancel();
        try
        {
            _loop.GetAwaiter().GetResult();
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }
}
