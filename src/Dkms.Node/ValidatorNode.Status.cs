using Dkms.Core.Blocks;
using Dkms.Core.Encoding;
using Dkms.Core.Primitives;
using Dkms.Node.Status;

namespace Dkms.Node;

/// <summary>The status the node publishes for RPC and metrics (<see cref="INodeStatus"/>): the ledger's part is written on
/// the consensus loop after each commit, so an HTTP thread never reads the ledger's height, tip and root one by one while a
/// commit moves them.</summary>
public sealed partial class ValidatorNode : INodeStatus
{
    private LedgerStatus? _ledgerStatus;

    /// <summary>The narrow view RPC and metrics read.</summary>
    public INodeStatus Status => this;

    NodeStatusSnapshot INodeStatus.Current => new(
        Genesis.ChainId,
        NodeKey.PublicKey,
        Volatile.Read(ref _ledgerStatus)!,
        _engine.Status,
        new ConsensusHealth(_engine.ContainedFaults, _engine.LastContainedFault, _engine.Intake.Total()),
        new PoolStatus(Pool.Count, Pool.Bytes, Pool.OrphanCount, AdmissionQueueLength, Journal.Count, Ledger.Signatures.Verifications),
        _link.ConnectedPeers,
        IsObserver ? NodeRole.Observer : NodeRole.Validator,
        _link.ConnectedObservers);

    /// <summary>At start (before the loop runs) from the ledger; after each commit from the block, on the loop thread.</summary>
    private LedgerStatus PublishLedgerStatus(Block? committed = null)
    {
        var tip = Application.Tip;
        var status = committed is null
            ? LedgerStatusAt(tip.Height, tip.BlockHash, tip.TimestampMs, Ledger.StateRoot)
            : LedgerStatusAt(committed.Height, committed.Hash, committed.Header.TimestampMs, committed.Header.StateRoot);
        Volatile.Write(ref _ledgerStatus, status);
        return status;
    }

    private LedgerStatus LedgerStatusAt(ulong height, Hash32 blockHash, long timeMs, Hash32 stateRoot)
    {
        var next = Ledger.ValidatorSetAt(height + 1) ?? [];
        var isValidator = next.Any(v => v.NodeKey == NodeKey.PublicKey);
        return new LedgerStatus(height, blockHash, timeMs, stateRoot, Hash32.Sha256(Codec.Encode(next)), isValidator);
    }
}
