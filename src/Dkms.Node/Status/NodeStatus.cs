using Dkms.Consensus;
using Dkms.Core.Primitives;

namespace Dkms.Node.Status;

/// <summary>
/// What RPC and metrics may know of the running node: one immutable record per question, composed of parts each owner
/// published (the ledger's view after each commit, the consensus loop's status after each event) and of counters that
/// are safe to read from any thread. Nothing behind it is the consensus loop's own state.
/// </summary>
public interface INodeStatus
{
    NodeStatusSnapshot Current { get; }
}

/// <summary>The node at one moment, as RPC threads see it.</summary>
public sealed record NodeStatusSnapshot(
    string ChainId,
    PublicKey NodeKey,
    LedgerStatus Ledger,
    ConsensusStatus Consensus,
    ConsensusHealth ConsensusHealth,
    PoolStatus Pool,
    IReadOnlyList<PublicKey> Peers,
    NodeRole Role = NodeRole.Validator,
    IReadOnlyList<PublicKey>? Observers = null);

/// <summary>How the node was started: a validator takes part in consensus when its key is in the set (which
/// <see cref="LedgerStatus.IsValidator"/> tells); an observer (docs/node.md, "Observers") only follows and serves reads.</summary>
public enum NodeRole
{
    Validator,
    Observer,
}

/// <summary>The committed chain as published by the consensus loop after each commit (and at start): every field is
/// of the same block.</summary>
public sealed record LedgerStatus(ulong Height, Hash32 BlockHash, long BlockTimeMs, Hash32 StateRoot, Hash32 NextValidatorSetHash, bool IsValidator);

/// <summary>The mempool and the queues in front of it.</summary>
public sealed record PoolStatus(int Transactions, long Bytes, int Orphans, int AdmissionQueue, int PendingJournal, long SignatureChecks);

/// <summary>Events the consensus loop contained and messages its intake dropped (thread-safe counters of the driver).</summary>
public sealed record ConsensusHealth(long ContainedFaults, string? LastContainedFault, long DroppedMessages);
