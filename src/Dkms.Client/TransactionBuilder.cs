using Dkms.Core.Crypto;
using Dkms.Core.Primitives;
using Dkms.Core.Transactions;

namespace Dkms.Client;

/// <summary>
/// Builds and signs the transactions of SPEC §3 for one chain. Signers sign on the subject's own behalf
/// unless paired with another identity (a trustee's or an agent owner's signature names its identity).
/// The sequence is the subject's next one: the resolved identity's <c>sequence + 1</c>.
/// </summary>
public sealed class TransactionBuilder(string chainId)
{
    public string ChainId { get; } = chainId;

    /// <summary>An inception signed by the new identity's signing keys; also returns the identifier it creates.</summary>
    public (Transaction Tx, IdentityId Id) Inception(KeyConfig keys, IEnumerable<ISigner> signingKeys, KeyAgreementKeyEntry[]? keyAgreementKeys = null, RecoveryPolicy? recovery = null)
    {
        var payload = new InceptionPayload(keys, keyAgreementKeys ?? [], recovery);
        var id = TransactionCodec.DeriveIdentity(payload);
        return (Build(id, 1, payload, Own(signingKeys)), id);
    }

    /// <summary>Rotation to <paramref name="newKeys"/>, signed by the revealed pre-rotated keys (the current "next" keys);
    /// <paramref name="recovery"/>, when given, becomes the recovery policy at once.</summary>
    public Transaction Rotation(IdentityId id, ulong sequence, KeyConfig newKeys, IEnumerable<ISigner> revealedNextKeys, RecoveryPolicy? recovery = null) =>
        Build(id, sequence, new RotationPayload(newKeys, recovery), Own(revealedNextKeys));

    public Transaction AddKeyAgreementKey(IdentityId id, ulong sequence, KeyAgreementKeyEntry key, IEnumerable<ISigner> signingKeys) =>
        Build(id, sequence, new AddKeyAgreementKeyPayload(key), Own(signingKeys));

    /// <summary>Revokes a key-agreement key by id, or marks a former signing key compromised.</summary>
    public Transaction RevokeKey(IdentityId id, ulong sequence, string? keyAgreementKeyId, PublicKey? signingKey, ulong? compromisedAtHeight, IEnumerable<ISigner> signingKeys) =>
        Build(id, sequence, new RevokeKeyPayload(keyAgreementKeyId, signingKey, compromisedAtHeight), Own(signingKeys));

    /// <summary>A new recovery policy. Signed by the current keys it waits out the present policy's delay (the chain's
    /// minimum when there is none) before it governs recovery; <paramref name="immediate"/>, signed by the pre-rotated
    /// next keys, it governs at once.</summary>
    public Transaction SetRecoveryPolicy(IdentityId id, ulong sequence, RecoveryPolicy policy, IEnumerable<ISigner> signingKeys, bool immediate = false) =>
        Build(id, sequence, new SetRecoveryPolicyPayload(policy, immediate), Own(signingKeys));

    /// <summary>Trustees propose new keys for <paramref name="id"/>; each signature names the trustee's identity.</summary>
    public Transaction RecoveryStart(IdentityId id, ulong sequence, KeyConfig proposed, IEnumerable<(ISigner Key, IdentityId Trustee)> trustees) =>
        Build(id, sequence, new RecoveryStartPayload(proposed), trustees.Select(t => (t.Key, (IdentityId?)t.Trustee)));

    /// <summary>Cancels a pending recovery: the owner's pre-rotated next keys (signer paired with null) or the trustees.</summary>
    public Transaction RecoveryCancel(IdentityId id, ulong sequence, IEnumerable<(ISigner Key, IdentityId? OnBehalfOf)> signers) =>
        Build(id, sequence, new RecoveryCancelPayload(), signers);

    /// <summary>Makes the proposed keys current once the delay has passed. Anyone may submit it; it carries exactly
    /// one signature, by whoever submits it (any key: it authorizes nothing).</summary>
    public Transaction RecoveryFinalize(IdentityId id, ulong sequence, ISigner submitter) =>
        Build(id, sequence, new RecoveryFinalizePayload(), [(submitter, null)]);

    /// <summary>Deactivation, signed by the pre-rotated next keys.</summary>
    public Transaction Deactivate(IdentityId id, ulong sequence, IEnumerable<ISigner> nextKeys) =>
        Build(id, sequence, new DeactivatePayload(), Own(nextKeys));

    /// <summary>Changes an agent policy; signed by the owner's current keys or by agents of the policy (both on the owner's behalf: pair them with null).</summary>
    public Transaction SetAgentPolicy(IdentityId owner, ulong sequence, string policyId, AgentChange[] changes, int? adminThreshold, IEnumerable<(ISigner Key, IdentityId? OnBehalfOf)> signers) =>
        Build(owner, sequence, new SetAgentPolicyPayload(policyId, changes, adminThreshold), signers);

    public Transaction Build(IdentityId subject, ulong sequence, TxPayload payload, IEnumerable<(ISigner Key, IdentityId? OnBehalfOf)> signers) =>
        TransactionCodec.Sign(new TxBody(ChainId, subject, sequence, payload), signers);

    private static IEnumerable<(ISigner, IdentityId?)> Own(IEnumerable<ISigner> signers) => signers.Select(s => (s, (IdentityId?)null));
}
