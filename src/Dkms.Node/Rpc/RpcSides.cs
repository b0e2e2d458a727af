using Dkms.Core.Blocks;
using Dkms.Core.Primitives;
using Dkms.Core.Transactions;
using Dkms.Ledger;
using Dkms.Ledger.State;
using Dkms.Node.Mempool;
using Dkms.Node.Supervision;

namespace Dkms.Node.Rpc;

// The narrow views the RPC handlers are built on (docs/architecture.md, "Who reads what"). None of them hands out a
// part of the node: a handler sees committed state, the admission writer's door, published records, and nothing that
// the consensus loop owns. Each member says which thread owns what it reads.

/// <summary>
/// The read side: committed ledger state, proofs and their anchors. Every member reads the committed store (one store
/// snapshot per multi-key query) or the ledger's head, which the consensus loop replaces whole at each commit; nothing
/// here waits for, or reads a field of, the consensus loop.
/// </summary>
public interface ILedgerReads
{
    /// <summary>The latest committed height (the ledger's head, replaced whole by the commit).</summary>
    ulong Height { get; }

    /// <summary>How many heights back a state proof can be made.</summary>
    int ProofHistoryHeights { get; }

    IdentityState? GetIdentity(IdentityId id);

    IdentityState? GetIdentityAt(IdentityId id, ulong height);

    IReadOnlyList<EventRecord> GetEvents(IdentityId id, ulong fromSequence, int limit);

    KeyValidity CheckSigningKey(IdentityId id, PublicKey key, ulong height);

    AgentPolicy? GetPolicyAt(IdentityId owner, string policyId, ulong height);

    AuthorizationResult CheckAuthorization(IdentityId owner, string policyId, PublicKey agent, AgentRights rights, ulong height);

    /// <summary>Where a committed transaction is, or null.</summary>
    TxLocation? GetTransaction(Hash32 hash);

    /// <summary>The record of one committed height (its block time), or null.</summary>
    HeightRecord? GetHeight(ulong height);

    CommittedValidatorSet? CommittedValidators(ulong? height);

    IReadOnlyList<ProvenValue> ValidatorChanges(ulong afterSequence, int limit, out bool complete);

    /// <summary>The newest validator-set change if after <paramref name="afterSequence"/> (none otherwise).</summary>
    IReadOnlyList<ProvenValue> NewestValidatorChange(ulong afterSequence, out bool complete);

    ProvenValue? ProveIdentity(IdentityId id, ulong height);

    ProvenValue? ProvePolicy(IdentityId owner, string policyId, ulong height);

    /// <summary>A committed block and its certificate, read from one store snapshot.</summary>
    bool TryGetBlock(ulong height, out Block block, out CommitCertificate certificate);

    /// <summary>The certified header and certificate that anchor a proof at <paramref name="height"/>, or null.</summary>
    ProofAnchor? Anchor(ulong height);
}

/// <summary>
/// The submit side: the door of the one admission writer and what a submitter may ask about its transactions. Admission
/// goes through the writer's bounded channel (the <c>admission</c> loop owns the pool's changes); the rest reads
/// thread-safe records (the pool's and the journal's refusals, the queued set, the waiters).
/// </summary>
public interface ISubmitSide
{
    /// <summary>False on an observer: it takes no transactions.</summary>
    bool TakesTransactions { get; }

    /// <summary>True when an async submission would be refused now (the writer's async budget or the journal is full).</summary>
    bool AdmissionQueueIsFull { get; }

    /// <summary>Hands the batch to the admission writer and waits for its outcomes.</summary>
    Task<AdmitOutcome[]> AdmitAsync(IReadOnlyList<Transaction> txs);

    /// <summary>Journals and queues the batch for the writer (async mode); <paramref name="durable"/> completes once journaled.</summary>
    bool[] AdmitLater(IReadOnlyList<Transaction> txs, out Task durable);

    /// <summary>Journals an admitted transaction before it is acknowledged; null when the journal is full.</summary>
    Task? Acknowledge(Transaction tx);

    /// <summary>In the pool or queued for admission.</summary>
    bool IsPending(Hash32 hash);

    /// <summary>A recent refusal (the pool's, or the journal's durable one from before a restart).</summary>
    bool TryGetRejection(Hash32 hash, out TxResult why, out bool mempoolFull);

    /// <summary>Completes when the transaction commits or is evicted (completed on the consensus loop).</summary>
    Task<TxOutcome> WaitForOutcome(Hash32 hash);

    /// <summary>Drops a wait that timed out.</summary>
    void ForgetWait(Hash32 hash, Task<TxOutcome> wait);
}

/// <summary>The health side: the supervisor's record of the node's loops (its own lock).</summary>
public interface IHealthSide
{
    /// <summary>False once any background loop failed or the consensus loop ended.</summary>
    bool Healthy { get; }

    IReadOnlyList<LoopStatus> Loops { get; }
}

/// <summary>The admin side: a consistent checkpoint of the node's store (RocksDB checkpoints run beside writes).</summary>
public interface IBackupSide
{
    Maintenance.BackupInfo Backup(string directory);
}
