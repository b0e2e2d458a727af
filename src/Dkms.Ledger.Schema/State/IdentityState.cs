using Dkms.Core.Primitives;
using Dkms.Core.Transactions;
using MessagePack;

namespace Dkms.Ledger.State;

public enum IdentityStatus : byte
{
    Active = 0,
    Recovering = 1,
    Deactivated = 2,
}

/// <summary>
/// The key state of one identity (SPEC §2): what resolution returns. Stored canonically under
/// <see cref="StateKeys.Identity"/>; a copy as of each event is kept in the event history.
/// </summary>
[MessagePackObject]
public sealed record IdentityState(
    [property: Key(0)] IdentityId Id,
    [property: Key(1)] KeyConfig Keys,
    [property: Key(2)] KeyAgreementKeyState[] KeyAgreementKeys,
    [property: Key(3)] RecoveryPolicy? Recovery,
    [property: Key(4)] PendingRecovery? PendingRecovery,
    [property: Key(5)] ulong Sequence,
    [property: Key(6)] Hash32 LastEventDigest,
    [property: Key(7)] IdentityStatus Status,
    [property: Key(8)] ulong CreatedAtHeight,
    [property: Key(9)] ulong UpdatedAtHeight,
    [property: Key(10)] PendingPolicyChange? PendingRecoveryPolicy = null)
{
    public bool HasSigningKey(PublicKey key) => Array.IndexOf(Keys.SigningKeys, key) >= 0;

    [IgnoreMember]
    public bool CanRotate => Keys.NextKeyDigests.Length > 0;
}

/// <summary>A key-agreement (X25519) key and its life: revoked keys stay, marked.</summary>
[MessagePackObject]
public sealed record KeyAgreementKeyState(
    [property: Key(0)] string Id,
    [property: Key(1)] PublicKey Key,
    [property: Key(2)] string Purpose,
    [property: Key(3)] ulong AddedAtHeight,
    [property: Key(4)] ulong? RevokedAtHeight,
    [property: Key(5)] ulong? CompromisedAtHeight)
{
    [IgnoreMember]
    public bool IsActive => RevokedAtHeight is null;
}

/// <summary>
/// A trustee-started recovery waiting for its delay to pass (block time, unix milliseconds): it may be finalized
/// by a block whose time is strictly after <see cref="FinalizeAfterMs"/>, never by the block that started it.
/// </summary>
[MessagePackObject]
public sealed record PendingRecovery(
    [property: Key(0)] KeyConfig Proposed,
    [property: Key(1)] ulong StartedAtMs,
    [property: Key(2)] ulong FinalizeAfterMs,
    [property: Key(3)] IdentityId[] ApprovedBy,
    [property: Key(4)] ulong StartedAtHeight);

/// <summary>
/// A recovery-policy change signed by the current keys alone. It governs recovery only once a block's time is
/// strictly after <see cref="EffectiveAfterMs"/> — the delay of the policy it replaces (or the chain's minimum
/// when there was none) after it was requested — so a thief holding the current keys cannot name trustees of
/// its own faster than the owner can veto (a Rotation, or the next keys, drop it).
/// </summary>
[MessagePackObject]
public sealed record PendingPolicyChange(
    [property: Key(0)] RecoveryPolicy Policy,
    [property: Key(1)] ulong RequestedAtMs,
    [property: Key(2)] ulong EffectiveAfterMs);

/// <summary>
/// A signing key that is no longer current: when it stopped being current and, if the owner said so,
/// from which height on it must be treated as compromised.
/// </summary>
[MessagePackObject]
public sealed record RetiredKeyRecord(
    [property: Key(0)] IdentityId Owner,
    [property: Key(1)] PublicKey Key,
    [property: Key(2)] ulong RetiredAtHeight,
    [property: Key(3)] ulong? CompromisedAtHeight);
