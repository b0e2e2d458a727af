using Dkms.Core.Primitives;
using Dkms.Core.Transactions;
using Dkms.Node.Maintenance;
using Dkms.Node.Mempool;
using Dkms.Node.Rpc;
using Dkms.Node.Supervision;

namespace Dkms.Node;

/// <summary>
/// The narrow views the RPC handlers are built on (Rpc/RpcSides.cs): the node implements the submit, health and
/// backup sides, and hands out its read side; a handler gets only the ones it needs, never the node.
/// </summary>
public sealed partial class ValidatorNode : ISubmitSide, IHealthSide, IBackupSide
{
    private ILedgerReads? _reads;

    /// <summary>Committed state, blocks and proof anchors, for queries (<see cref="ILedgerReads"/>).</summary>
    public ILedgerReads Reads => _reads ??= new LedgerReadSide(Ledger, Application, ProofAnchors);

    /// <summary>The door of the admission writer, and what a submitter may ask about its transactions.</summary>
    public ISubmitSide Submissions => this;

    /// <summary>The supervisor's record of the loops, for <c>/health</c>.</summary>
    public IHealthSide Health => this;

    /// <summary>Checkpoints of the store, for <c>admin.backup</c>.</summary>
    public IBackupSide Backups => this;

    bool ISubmitSide.TakesTransactions => !IsObserver;

    bool ISubmitSide.AdmissionQueueIsFull => AdmissionQueueIsFull;

    Task<AdmitOutcome[]> ISubmitSide.AdmitAsync(IReadOnlyList<Transaction> txs) => AdmitAsync(txs);

    bool[] ISubmitSide.AdmitLater(IReadOnlyList<Transaction> txs, out Task durable) => AdmitLater(txs, out durable);

    Task? ISubmitSide.Acknowledge(Transaction tx) => Acknowledge(tx);

    bool ISubmitSide.IsPending(Hash32 hash) => IsPending(hash);

    bool ISubmitSide.TryGetRejection(Hash32 hash, out TxResult why, out bool mempoolFull) =>
        Pool.TryGetRejection(hash, out why, out mempoolFull) || Journal.TryGetRejection(hash, out why, out mempoolFull);

    Task<TxOutcome> ISubmitSide.WaitForOutcome(Hash32 hash) => Waiters.Wait(hash);

    void ISubmitSide.ForgetWait(Hash32 hash, Task<TxOutcome> wait) => Waiters.Forget(hash, wait);

    bool IHealthSide.Healthy => !Loop.IsCompleted && Supervisor.Healthy;

    IReadOnlyList<LoopStatus> IHealthSide.Loops => Supervisor.Loops;

    BackupInfo IBackupSide.Backup(string directory) => DataDirectoryBackup.Take(_store, directory, Genesis.ChainId, NodeKey.PublicKey.ToHex(), Time);
}

/// <summary>Builds the node's RPC handlers, each from the views it needs.</summary>
public static class RpcWiring
{
    public static NodeRpc For(ValidatorNode node) => new(
        new QueryRpc(node.Reads),
        new SubmitRpc(node.Reads, node.Submissions, node.Time, node.Settings.MaxCommitWaitMs),
        new StatusRpc(node.Status, node.Genesis.ComputeHash().ToHex()));
}
