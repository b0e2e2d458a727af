using Dkms.Core.Crypto;
using Dkms.Core.Primitives;
using Dkms.Core.Transactions;
using Dkms.Ledger.State;
using Dkms.Ledger.Tests.Support;

namespace Dkms.Ledger.Tests.Rules;

public class RecoveryTests
{
    private const ulong DelaySeconds = 3600;

    private sealed class World : IDisposable
    {
        public LedgerHarness H { get; } = new();
        public Actor Alice { get; }
        public Actor[] Trustees { get; }
        public Actor Recovered { get; } = new("alice-recovered");

        public World(int trusteeKeys = 1, int trusteeThreshold = 1)
        {
            Trustees = [.. new[] { "bob", "carol", "dave" }.Select(n => H.Create(new Actor(n, trusteeKeys, trusteeThreshold)))];
            Alice = H.Create(new Actor("alice"), new RecoveryPolicy([.. Trustees.Select(t => t.Id)], 2, DelaySeconds));
        }

        public Transaction Start(params Actor[] by) =>
            Alice.SignWith(new RecoveryStartPayload(Recovered.ConfigAt(0)), H.Seq(Alice), by.SelectMany(t => t.AsTrustee()));

        public void Dispose() => H.Dispose();
    }

    [Fact]
    public void Trustees_at_threshold_start_a_recovery_that_finalizes_after_the_delay()
    {
        using var w = new World();
        w.H.Accept(w.Start(w.Trustees[0], w.Trustees[1]));
        var s = w.H.Ledger.GetIdentity(w.Alice.Id)!;
        Assert.Equal(IdentityStatus.Recovering, s.Status);
        Assert.Equal(2, s.PendingRecovery!.ApprovedBy.Length);

        w.H.TimeMs += DelaySeconds * 1000;
        w.H.Accept(w.Alice.Sign(new RecoveryFinalizePayload(), w.H.Seq(w.Alice), []));
        s = w.H.Ledger.GetIdentity(w.Alice.Id)!;
        Assert.Equal(IdentityStatus.Active, s.Status);
        Assert.Equal(w.Recovered.Current.Select(k => k.PublicKey), s.Keys.SigningKeys);
    }

    [Fact]
    public void Trustees_below_threshold_cannot_start_a_recovery()
    {
        using var w = new World();
        w.H.Reject(w.Start(w.Trustees[0]), ErrorCode.ThresholdNotMet);
        // The same trustee signing twice is still one trustee.
        var twice = w.Alice.SignWith(new RecoveryStartPayload(w.Recovered.ConfigAt(0)), w.H.Seq(w.Alice),
            w.Trustees[0].AsTrustee().Concat(w.Trustees[0].AsTrustee()));
        w.H.Reject(twice, ErrorCode.ThresholdNotMet);
    }

    [Fact]
    public void Trustee_signature_by_a_key_that_is_not_its_own_does_not_count()
    {
        using var w = new World();
        var mallory = new Actor("mallory");
        // Mallory claims to sign for Carol with Mallory's key.
        var forged = w.Alice.SignWith(new RecoveryStartPayload(w.Recovered.ConfigAt(0)), w.H.Seq(w.Alice),
            w.Trustees[0].AsTrustee().Append(((ISigner)mallory.Current[0], (IdentityId?)w.Trustees[1].Id)));
        w.H.Reject(forged, ErrorCode.ThresholdNotMet);
    }

    [Fact]
    public void Trustee_needs_its_own_signing_threshold()
    {
        using var w = new World(trusteeKeys: 2, trusteeThreshold: 2);
        var half = w.Alice.SignWith(new RecoveryStartPayload(w.Recovered.ConfigAt(0)), w.H.Seq(w.Alice),
            w.Trustees[0].AsTrustee().Concat(w.Trustees[1].AsTrustee().Take(1)));
        w.H.Reject(half, ErrorCode.ThresholdNotMet);
        w.H.Accept(w.Start(w.Trustees[0], w.Trustees[1]));
    }

    [Fact]
    public void Finalize_before_the_delay_fails()
    {
        using var w = new World();
        w.H.Accept(w.Start(w.Trustees[0], w.Trustees[2]));
        w.H.TimeMs += DelaySeconds * 1000 - 2000;
        w.H.Reject(w.Alice.Sign(new RecoveryFinalizePayload(), w.H.Seq(w.Alice), []), ErrorCode.RecoveryDelayNotElapsed);
    }

    [Fact]
    public void Thief_with_the_current_keys_cannot_cancel_a_recovery()
    {
        using var w = new World();
        w.H.Accept(w.Start(w.Trustees[0], w.Trustees[1]));
        w.H.Reject(w.Alice.Sign(new RecoveryCancelPayload(), w.H.Seq(w.Alice), w.Alice.Current), ErrorCode.NotAuthorized);
        Assert.Equal(IdentityStatus.Recovering, w.H.Ledger.GetIdentity(w.Alice.Id)!.Status);
    }

    [Fact]
    public void Owner_cancels_a_recovery_with_the_next_keys()
    {
        using var w = new World();
        w.H.Accept(w.Start(w.Trustees[0], w.Trustees[1]));
        w.H.Accept(w.Alice.Sign(new RecoveryCancelPayload(), w.H.Seq(w.Alice), w.Alice.Next));
        var s = w.H.Ledger.GetIdentity(w.Alice.Id)!;
        Assert.Equal(IdentityStatus.Active, s.Status);
        Assert.Null(s.PendingRecovery);
        w.H.TimeMs += DelaySeconds * 1000;
        w.H.Reject(w.Alice.Sign(new RecoveryFinalizePayload(), w.H.Seq(w.Alice), []), ErrorCode.NotRecovering);
    }

    [Fact]
    public void Trustee_threshold_cancels_a_recovery()
    {
        using var w = new World();
        w.H.Accept(w.Start(w.Trustees[0], w.Trustees[1]));
        w.H.Accept(w.Alice.SignWith(new RecoveryCancelPayload(), w.H.Seq(w.Alice), w.Trustees[1].AsTrustee().Concat(w.Trustees[2].AsTrustee())));
        Assert.Equal(IdentityStatus.Active, w.H.Ledger.GetIdentity(w.Alice.Id)!.Status);
    }

    [Fact]
    public void Rotation_by_the_owner_during_recovery_cancels_it()
    {
        using var w = new World();
        w.H.Accept(w.Start(w.Trustees[0], w.Trustees[1]));
        w.H.Accept(w.Alice.Sign(new RotationPayload(w.Alice.ConfigAt(1)), w.H.Seq(w.Alice), w.Alice.Next));
        var s = w.H.Ledger.GetIdentity(w.Alice.Id)!;
        Assert.Equal(IdentityStatus.Active, s.Status);
        Assert.Null(s.PendingRecovery);
    }

    [Fact]
    public void Other_changes_are_refused_while_recovering()
    {
        using var w = new World();
        w.H.Accept(w.Start(w.Trustees[0], w.Trustees[1]));
        w.H.Reject(w.Alice.Sign(new SetAgentPolicyPayload("p", [], null), w.H.Seq(w.Alice), w.Alice.Current), ErrorCode.Recovering);
        w.H.Reject(w.Start(w.Trustees[1], w.Trustees[2]), ErrorCode.Recovering);
    }

    [Fact]
    public void Recovery_without_a_policy_is_rejected()
    {
        using var h = new LedgerHarness();
        var bob = h.Create(new Actor("bob"));
        var carol = h.Create(new Actor("carol"));
        var alice = h.Create(new Actor("alice"));
        var start = alice.SignWith(new RecoveryStartPayload(new Actor("new").ConfigAt(0)), h.Seq(alice), bob.AsTrustee().Concat(carol.AsTrustee()));
        h.Reject(start, ErrorCode.NoRecoveryPolicy);
    }

    [Theory]
    [InlineData(1, 2)]
    [InlineData(3, 2)]
    [InlineData(2, 1)]
    public void Recovery_policy_with_too_few_trustees_or_a_bad_threshold_is_rejected(int threshold, int trustees)
    {
        using var h = new LedgerHarness();
        var ids = Enumerable.Range(0, trustees).Select(i => h.Create(new Actor($"t{i}")).Id).ToArray();
        var alice = h.Create(new Actor("alice"));
        h.Reject(alice.Sign(new SetRecoveryPolicyPayload(new RecoveryPolicy(ids, threshold, 60)), h.Seq(alice), alice.Current), ErrorCode.InvalidParameters);
    }

    [Fact]
    public void Recovery_policy_is_replaced_by_the_current_threshold_only()
    {
        using var w = new World();
        var policy = new RecoveryPolicy([w.Trustees[0].Id, w.Trustees[1].Id], 2, 600);
        w.H.Reject(w.Alice.Sign(new SetRecoveryPolicyPayload(policy), w.H.Seq(w.Alice), [new Actor("mallory").Current[0]]), ErrorCode.ThresholdNotMet);
        w.H.Accept(w.Alice.Sign(new SetRecoveryPolicyPayload(policy), w.H.Seq(w.Alice), w.Alice.Current));
        // Signed by the current keys: it governs recovery once the present policy's delay has passed.
        var s = w.H.Ledger.GetIdentity(w.Alice.Id)!;
        Assert.Equal(DelaySeconds, s.Recovery!.DelaySeconds);
        Assert.Equal(600UL, s.PendingRecoveryPolicy!.Policy.DelaySeconds);
        w.H.TimeMs = s.PendingRecoveryPolicy.EffectiveAfterMs + 1;
        w.H.Accept(w.Alice.Sign(new AddKeyAgreementKeyPayload(new KeyAgreementKeyEntry("k", w.Alice.Current[0].PublicKey, "enc")), w.H.Seq(w.Alice), w.Alice.Current));
        Assert.Equal(600UL, w.H.Ledger.GetIdentity(w.Alice.Id)!.Recovery!.DelaySeconds);
    }
}
