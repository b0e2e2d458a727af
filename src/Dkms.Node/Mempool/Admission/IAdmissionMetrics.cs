namespace Dkms.Node.Mempool.Admission;

/// <summary>What admission counts (the node implements it with Prometheus: docs/node.md "Metrics").</summary>
public interface IAdmissionMetrics
{
    /// <summary>A transaction a filter stopped (refused, "mempool full", or already pending or committed), by filter;
    /// <c>queue</c> for one the full admission queue turned away.</summary>
    void Stopped(string filter, int count = 1);

    /// <summary>A transaction inserted into the pool.</summary>
    void Admitted();

    /// <summary>Transactions waiting for the admission writer, all sources.</summary>
    void QueueDepth(int transactions);
}
