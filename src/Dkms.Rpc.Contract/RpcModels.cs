namespace Dkms.Rpc;

// Parameters and results of the node's JSON-RPC methods (docs/rpc.md). Binary values travel as
// base64 (transactions, encoded records, proofs, headers, certificates); hashes and keys as lower-case
// hex; identities as did:dkms:… strings. Property names are camelCase on the wire.

public sealed record SubmitParams(string Tx, string? Mode = null, int? TimeoutMs = null);

public sealed record SubmitBatchParams(string[] Txs, string? Mode = null, int? TimeoutMs = null);

/// <summary>The <c>data</c> of a submission's error (rejected, mempool full, commit timeout): the transaction's hash and, for
/// a rejection, its code and message and, for one rejected at execution, where.</summary>
public sealed record TxErrorData(string? Hash, string? Code = null, string? Message = null, ulong? Height = null, int? Index = null);

/// <summary>What became of one submitted transaction. <see cref="Status"/> is a <see cref="TxStatuses"/> value.</summary>
public sealed record SubmitResult(string Hash, string Status, ulong? Height = null, int? Index = null, string? Code = null, string? Message = null);

public sealed record HashParams(string Hash);

public static class TxStatuses
{
    public const string Pending = "pending";
    public const string Committed = "committed";
    public const string Rejected = "rejected";
    public const string Unknown = "unknown";
}

/// <summary>A transaction's status; <c>height</c>/<c>index</c> when committed, <c>code</c>/<c>message</c> when rejected.</summary>
public sealed record TxStatusResult(string Hash, string Status, ulong? Height = null, int? Index = null, string? Code = null, string? Message = null);

public sealed record ResolveParams(string Id, ulong? Height = null, bool Proof = false);

/// <summary>
/// An identity's key state at a height. With a proof: <see cref="Proof"/> carries the encoded state
/// record, its Merkle proof under the state root, and the block header and commit certificate of that
/// height, so a client holding the validator set verifies the answer without trusting the node.
/// </summary>
public sealed record ResolveResult(string Id, ulong Height, IdentityView? Identity, StateProofView? Proof);

public sealed record IdentityView(
    string Id,
    string Status,
    ulong Sequence,
    string[] SigningKeys,
    int Threshold,
    string[] NextKeyDigests,
    int NextThreshold,
    KeyAgreementKeyView[] KeyAgreementKeys,
    RecoveryPolicyView? Recovery,
    PendingRecoveryView? PendingRecovery,
    string LastEventDigest,
    ulong CreatedAtHeight,
    ulong UpdatedAtHeight,
    PendingPolicyChangeView? PendingRecoveryPolicy = null);

public sealed record KeyAgreementKeyView(string Id, string Key, string Purpose, ulong AddedAtHeight, ulong? RevokedAtHeight, ulong? CompromisedAtHeight);

public sealed record RecoveryPolicyView(string[] Trustees, int Threshold, ulong DelaySeconds);

public sealed record PendingRecoveryView(string[] ProposedSigningKeys, int ProposedThreshold, ulong StartedAtMs, ulong FinalizeAfterMs, string[] ApprovedBy);

/// <summary>A recovery-policy change signed by the current keys: it governs recovery once block time is past
/// <see cref="EffectiveAfterMs"/>; until then <see cref="IdentityView.Recovery"/> does, and a rotation drops it.</summary>
public sealed record PendingPolicyChangeView(RecoveryPolicyView Policy, ulong RequestedAtMs, ulong EffectiveAfterMs);

/// <summary>
/// Everything needed to check a value locally: <see cref="Key"/> and <see cref="Value"/> (absent when
/// the proof shows non-inclusion) under <see cref="StateRoot"/> by <see cref="MerkleProof"/>; the root is in
/// <see cref="Header"/> (base64 MessagePack), which <see cref="Certificate"/> (base64 MessagePack) certifies.
/// </summary>
public sealed record StateProofView(ulong Height, string StateRoot, string Key, string? Value, string MerkleProof, string Header, string Certificate);

public sealed record EventsParams(string Id, ulong? FromSequence = null, int? Limit = null);

public sealed record EventView(ulong Sequence, ulong Height, int Index, string Type, string TxHash, string Digest, ulong BlockTimeMs, string Transaction);

public sealed record CheckKeyParams(string Id, string Key, ulong Height);

/// <summary><c>validity</c>: Valid, Compromised, NotASigningKey, UnknownIdentity or Deactivated.</summary>
public sealed record CheckKeyResult(string Id, string Key, ulong Height, string Validity);

public sealed record PolicyParams(string Owner, string PolicyId, ulong? Height = null, bool Proof = false);

public sealed record PolicyResult(string Owner, string PolicyId, ulong Height, PolicyView? Policy, StateProofView? Proof);

public sealed record PolicyView(int AdminThreshold, AgentView[] Agents, ulong UpdatedAtHeight);

/// <summary>Rights as the names of <c>AgentRights</c> flags, comma separated (e.g. "Sign, Encrypt").</summary>
public sealed record AgentView(string Agent, string Rights);

public sealed record CheckAuthorizationParams(string Owner, string PolicyId, string Agent, string Rights, ulong? Height = null);

public sealed record CheckAuthorizationResult(bool Authorized, string Rights, string Reason, ulong Height);

public sealed record BlockParams(ulong Height);

public sealed record BlockResult(
    ulong Height,
    string Hash,
    int Round,
    string PreviousHash,
    string TransactionRoot,
    string StateRoot,
    string Proposer,
    long TimestampMs,
    string[] TransactionHashes,
    string Header,
    string Certificate);

public sealed record NodeStatusResult(
    string ChainId,
    string NodeKey,
    bool IsValidator,
    ulong Height,
    int Round,
    string StateRoot,
    string LastBlockHash,
    long LastBlockTimeMs,
    string[] Peers,
    int MempoolCount,
    long MempoolBytes,
    string Version,
    string? GenesisHash = null,
    string? Role = null);

public sealed record ValidatorsParams(ulong? Height = null);

public sealed record ValidatorView(string NodeKey, string Address, long Power);

/// <param name="Sequence">The governance sequence: how many validator-set changes are committed (the next SetValidators
/// carries <c>Sequence + 1</c>). The node's latest value, whatever <c>Height</c> was asked.</param>
public sealed record ValidatorsResult(ulong Height, ValidatorView[] Validators, ulong Sequence = 0);

/// <param name="FromSequence">The governance sequence the client already trusts (0: the genesis set); the answer starts
/// with the change of sequence <c>FromSequence + 1</c>.</param>
/// <param name="Limit">At most this many changes (default and maximum in docs/rpc.md).</param>
/// <param name="Newest">True: only the newest change (if after <paramref name="FromSequence"/>), for a client that skips.</param>
public sealed record ValidatorHistoryParams(ulong? FromSequence = null, int? Limit = null, bool? Newest = null);

/// <summary>One committed validator-set change: the new set, the height it is in force from, and the proof — the
/// validator-set record at the height the change committed (<c>Proof.Height</c>), under the header and commit
/// certificate of that height, which the set before the change signed.</summary>
public sealed record ValidatorChangeView(ulong Sequence, ulong FromHeight, ValidatorView[] Validators, StateProofView Proof);

/// <param name="Height">The node's last committed height when it answered.</param>
/// <param name="More">True when changes after the last one listed exist: ask again from its sequence.</param>
public sealed record ValidatorHistoryResult(ulong Height, ValidatorChangeView[] Changes, bool More);
