using Dkms.Core.Primitives;
using MessagePack;

namespace Dkms.Core.Transactions;

/// <summary>The type-specific part of a transaction. The union tag is the <see cref="TxType"/>.</summary>
[Union((int)TxType.Inception, typeof(InceptionPayload))]
[Union((int)TxType.Rotation, typeof(RotationPayload))]
[Union((int)TxType.AddKeyAgreementKey, typeof(AddKeyAgreementKeyPayload))]
[Union((int)TxType.RevokeKey, typeof(RevokeKeyPayload))]
[Union((int)TxType.SetRecoveryPolicy, typeof(SetRecoveryPolicyPayload))]
[Union((int)TxType.RecoveryStart, typeof(RecoveryStartPayload))]
[Union((int)TxType.RecoveryCancel, typeof(RecoveryCancelPayload))]
[Union((int)TxType.RecoveryFinalize, typeof(RecoveryFinalizePayload))]
[Union((int)TxType.Deactivate, typeof(DeactivatePayload))]
[Union((int)TxType.SetAgentPolicy, typeof(SetAgentPolicyPayload))]
[Union((int)TxType.SetValidators, typeof(SetValidatorsPayload))]
public abstract record TxPayload
{
    [IgnoreMember]
    public abstract TxType Type { get; }
}

/// <summary>
/// A signing configuration: the current keys and threshold, and the digests of the pre-rotated next
/// keys with the threshold they will need. Empty <see cref="NextKeyDigests"/> means no further rotation.
/// </summary>
[MessagePackObject]
public sealed record KeyConfig(
    [property: Key(0)] PublicKey[] SigningKeys,
    [property: Key(1)] int Threshold,
    [property: Key(2)] Hash32[] NextKeyDigests,
    [property: Key(3)] int NextThreshold);

/// <summary>An X25519 key others use to encrypt to this identity.</summary>
[MessagePackObject]
public sealed record KeyAgreementKeyEntry(
    [property: Key(0)] string Id,
    [property: Key(1)] PublicKey Key,
    [property: Key(2)] string Purpose);

/// <summary>Social recovery: <see cref="Threshold"/> of <see cref="Trustees"/> may propose new keys, which take effect after <see cref="DelaySeconds"/> of block time.</summary>
[MessagePackObject]
public sealed record RecoveryPolicy(
    [property: Key(0)] IdentityId[] Trustees,
    [property: Key(1)] int Threshold,
    [property: Key(2)] ulong DelaySeconds);

[MessagePackObject]
public sealed record InceptionPayload(
    [property: Key(0)] KeyConfig Keys,
    [property: Key(1)] KeyAgreementKeyEntry[] KeyAgreementKeys,
    [property: Key(2)] RecoveryPolicy? Recovery) : TxPayload
{
    [IgnoreMember]
    public override TxType Type => TxType.Inception;
}

/// <summary>
/// Replaces the signing keys with pre-rotated ones. <see cref="Recovery"/>, when set, replaces the recovery policy
/// at once (a rotation is signed by the next keys, the owner's veto authority); either way a policy change still
/// waiting to take effect is dropped.
/// </summary>
[MessagePackObject]
public sealed record RotationPayload(
    [property: Key(0)] KeyConfig Keys,
    [property: Key(1)] RecoveryPolicy? Recovery = null) : TxPayload
{
    [IgnoreMember]
    public override TxType Type => TxType.Rotation;
}

[MessagePackObject]
public sealed record AddKeyAgreementKeyPayload([property: Key(0)] KeyAgreementKeyEntry Key) : TxPayload
{
    [IgnoreMember]
    public override TxType Type => TxType.AddKeyAgreementKey;
}

/// <summary>
/// Revokes a key-agreement key (by <see cref="KeyId"/>) or marks a former signing key compromised
/// (by <see cref="SigningKey"/>); exactly one of the two is set. Signatures by a compromised key made
/// at or after <see cref="CompromisedAtHeight"/> are reported invalid.
/// </summary>
[MessagePackObject]
public sealed record RevokeKeyPayload(
    [property: Key(0)] string? KeyId,
    [property: Key(1)] PublicKey? SigningKey,
    [property: Key(2)] ulong? CompromisedAtHeight) : TxPayload
{
    [IgnoreMember]
    public override TxType Type => TxType.RevokeKey;
}

/// <summary>
/// Names a new recovery policy. The body says which authority signs it, so that whoever holds one signed form cannot
/// make the same body mean something else with other signatures: <see cref="Immediate"/> false — the current keys;
/// the change waits out the present policy's delay before it governs recovery; true — the pre-rotated next keys; it
/// governs at once.
/// </summary>
[MessagePackObject]
public sealed record SetRecoveryPolicyPayload(
    [property: Key(0)] RecoveryPolicy Policy,
    [property: Key(1)] bool Immediate = false) : TxPayload
{
    [IgnoreMember]
    public override TxType Type => TxType.SetRecoveryPolicy;
}

[MessagePackObject]
public sealed record RecoveryStartPayload([property: Key(0)] KeyConfig Proposed) : TxPayload
{
    [IgnoreMember]
    public override TxType Type => TxType.RecoveryStart;
}

[MessagePackObject]
public sealed record RecoveryCancelPayload : TxPayload
{
    [IgnoreMember]
    public override TxType Type => TxType.RecoveryCancel;
}

[MessagePackObject]
public sealed record RecoveryFinalizePayload : TxPayload
{
    [IgnoreMember]
    public override TxType Type => TxType.RecoveryFinalize;
}

[MessagePackObject]
public sealed record DeactivatePayload : TxPayload
{
    [IgnoreMember]
    public override TxType Type => TxType.Deactivate;
}

/// <summary>One agent's new rights in a policy; <see cref="AgentRights.None"/> removes the agent.</summary>
[MessagePackObject]
public sealed record AgentChange(
    [property: Key(0)] PublicKey Agent,
    [property: Key(1)] AgentRights Rights);

/// <summary>
/// Creates or changes the subject's agent policy <see cref="PolicyId"/>. <see cref="AdminThreshold"/>,
/// when set, changes how many distinct Admin agents must sign a change that needs Admin.
/// </summary>
[MessagePackObject]
public sealed record SetAgentPolicyPayload(
    [property: Key(0)] string PolicyId,
    [property: Key(1)] AgentChange[] Changes,
    [property: Key(2)] int? AdminThreshold) : TxPayload
{
    [IgnoreMember]
    public override TxType Type => TxType.SetAgentPolicy;
}

/// <summary>A validator as the ledger knows it: its Ed25519 node key, its peer address (host:port) and voting power.</summary>
[MessagePackObject]
public sealed record ValidatorEntry(
    [property: Key(0)] PublicKey NodeKey,
    [property: Key(1)] string Address,
    [property: Key(2)] long Power);

/// <summary>
/// Governance: the new validator set. The subject is <see cref="Governance.Subject"/>; the sequence is the
/// validator set's own counter. Takes effect two heights after the block that commits it.
/// </summary>
[MessagePackObject]
public sealed record SetValidatorsPayload([property: Key(0)] ValidatorEntry[] Validators) : TxPayload
{
    [IgnoreMember]
    public override TxType Type => TxType.SetValidators;
}

/// <summary>Constants of validator-set governance.</summary>
public static class Governance
{
    /// <summary>The reserved subject of governance transactions (no identity can derive to all zeros in practice).</summary>
    public static readonly IdentityId Subject = new(UInt128.Zero);

    /// <summary>A set committed at height H is in force from height H + <see cref="ActivationDelay"/>.</summary>
    public const ulong ActivationDelay = 2;

    public const int MaxValidators = 64;
}
