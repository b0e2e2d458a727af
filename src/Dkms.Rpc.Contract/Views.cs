using Dkms.Core.Transactions;
using Dkms.Ledger.State;

namespace Dkms.Rpc;

/// <summary>Maps ledger records to their JSON views. The node answers with these and a verifying client
/// rebuilds them from the proven bytes, so both sides must use this one mapping.</summary>
public static class Views
{
    public static IdentityView Identity(IdentityState s) => new(
        s.Id.ToString(),
        s.Status.ToString(),
        s.Sequence,
        [.. s.Keys.SigningKeys.Select(k => k.ToHex())],
        s.Keys.Threshold,
        [.. s.Keys.NextKeyDigests.Select(d => d.ToHex())],
        s.Keys.NextThreshold,
        [.. s.KeyAgreementKeys.Select(k => new KeyAgreementKeyView(k.Id, k.Key.ToHex(), k.Purpose, k.AddedAtHeight, k.RevokedAtHeight, k.CompromisedAtHeight))],
        s.Recovery is { } r ? Recovery(r) : null,
        s.PendingRecovery is { } p
            ? new PendingRecoveryView([.. p.Proposed.SigningKeys.Select(k => k.ToHex())], p.Proposed.Threshold, p.StartedAtMs, p.FinalizeAfterMs, [.. p.ApprovedBy.Select(t => t.ToString())])
            : null,
        s.LastEventDigest.ToHex(),
        s.CreatedAtHeight,
        s.UpdatedAtHeight,
        s.PendingRecoveryPolicy is { } c ? new PendingPolicyChangeView(Recovery(c.Policy), c.RequestedAtMs, c.EffectiveAfterMs) : null);

    /// <summary>The recovery policy that governs a recovery started at <paramref name="atMs"/> (unix ms, block time): a
    /// pending change once its time has passed, else the policy in place.</summary>
    public static RecoveryPolicyView? EffectiveRecovery(IdentityView v, ulong atMs) =>
        v.PendingRecoveryPolicy is { } c && atMs > c.EffectiveAfterMs ? c.Policy : v.Recovery;

    public static RecoveryPolicyView Recovery(RecoveryPolicy r) => new([.. r.Trustees.Select(t => t.ToString())], r.Threshold, r.DelaySeconds);

    public static PolicyView Policy(AgentPolicy p) => new(p.AdminThreshold, [.. p.Agents.Select(a => new AgentView(a.Agent.ToHex(), a.Rights.ToString()))], p.UpdatedAtHeight);

    public static EventView Event(EventRecord e) => new(e.Sequence, e.Height, e.Index, e.Type.ToString(), e.TxHash.ToHex(), e.Digest.ToHex(), e.BlockTimeMs, Convert.ToBase64String(e.Transaction));
}
