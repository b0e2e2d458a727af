using Dkms.Core.Crypto;
using Dkms.Core.Primitives;
using Dkms.Core.Transactions;
using Dkms.Ledger.State;
using Dkms.Ledger.Tests.Support;

namespace Dkms.Ledger.Tests.Attacks;

/// <summary>
/// A thief holding an identity's current signing keys (a stolen phone) tries to become its owner through the
/// recovery machinery: naming trustees it controls and recovering to keys of its own (docs/security.md).
/// </summary>
public class RecoveryTakeoverTests
{
    private const ulong OwnerDelaySeconds = 3600;

    private sealed class World : IDisposable
    {
        public LedgerHarness H { get; } = new();
        public Actor Alice { get; }
        public Actor[] Trustees { get; }
        public Actor[] Accomplices { get; }
        public Actor ThiefKeys { get; } = new("thief-new-keys");

        public World(bool withPolicy = true)
        {
            Trustees = [.. new[] { "bob", "carol" }.Select(n => H.Create(new Actor(n)))];
            Accomplices = [.. new[] { "mallory", "trent" }.Select(n => H.Create(new Actor(n)))];
            Alice = H.Create(new Actor("alice"), withPolicy ? new RecoveryPolicy([.. Trustees.Select(t => t.Id)], 2, OwnerDelaySeconds) : null);
        }

        public RecoveryPolicy ThiefPolicy(ulong delay) => new([.. Accomplices.Select(a => a.Id)], 2, delay);

        /// <summary>Policy change by the stolen current keys, recovery started by the accomplices, finalize — with consecutive sequences from <paramref name="seq"/>.</summary>
        public Transaction[] Takeover(ulong seq, ulong delay) =>
        [
            Alice.Sign(new SetRecoveryPolicyPayload(ThiefPolicy(delay)), seq, Alice.Current),
            Alice.SignWith(new RecoveryStartPayload(ThiefKeys.ConfigAt(0)), seq + 1, Accomplices.SelectMany(a => a.AsTrustee())),
            Alice.Sign(new RecoveryFinalizePayload(), seq + 2, [ThiefKeys.Current[0]]),
        ];

        public KeyConfig Keys => H.Ledger.GetIdentity(Alice.Id)!.Keys;

        public void Dispose() => H.Dispose();
    }

    [Theory]
    [InlineData(0UL)]
    [InlineData(LedgerHarness.MinRecoveryDelaySeconds)]
    public void The_current_keys_cannot_name_new_trustees_and_recover_in_one_block(ulong thiefDelay)
    {
        using var w = new World();
        var before = w.Keys;
        w.H.Block(w.Takeover(w.H.Seq(w.Alice), thiefDelay));
        Assert.Equal(before, w.Keys, KeyConfigComparer.Instance);
    }

    [Fact]
    public void The_current_keys_cannot_recover_before_the_owners_delay_however_the_steps_are_spread()
    {
        using var w = new World();
        var before = w.Keys;
        w.H.Accept(w.Takeover(w.H.Seq(w.Alice), LedgerHarness.MinRecoveryDelaySeconds)[0]);
        // The thief's trustees try to start at every block until the owner's delay has almost passed.
        var started = false;
        while (w.H.TimeMs < StartTimeOf(w) + (OwnerDelaySeconds * 1000) - 1000)
        {
            var seq = w.H.Seq(w.Alice);
            var results = w.H.Block(w.Takeover(seq - 1, LedgerHarness.MinRecoveryDelaySeconds)[1..]);
            started |= results[0].IsOk;
            w.H.TimeMs += 59_000;
            Assert.Equal(before, w.Keys, KeyConfigComparer.Instance);
        }

        Assert.False(started, "the thief's trustees started a recovery before the owner's delay passed");
    }

    private static ulong StartTimeOf(World w) => w.H.Ledger.GetIdentity(w.Alice.Id)!.PendingRecoveryPolicy!.RequestedAtMs;

    [Fact]
    public void A_policy_change_by_the_current_keys_waits_the_delay_of_the_policy_it_replaces()
    {
        using var w = new World();
        w.H.Accept(w.Alice.Sign(new SetRecoveryPolicyPayload(w.ThiefPolicy(LedgerHarness.MinRecoveryDelaySeconds)), w.H.Seq(w.Alice), w.Alice.Current));
        var s = w.H.Ledger.GetIdentity(w.Alice.Id)!;
        Assert.Equal(OwnerDelaySeconds, s.Recovery!.DelaySeconds);
        Assert.Equal(s.PendingRecoveryPolicy!.RequestedAtMs + (OwnerDelaySeconds * 1000), s.PendingRecoveryPolicy.EffectiveAfterMs);

        // Until then the owner's trustees, not the new ones, govern recovery.
        var startByNew = w.Alice.SignWith(new RecoveryStartPayload(w.ThiefKeys.ConfigAt(0)), w.H.Seq(w.Alice), w.Accomplices.SelectMany(a => a.AsTrustee()));
        w.H.Reject(startByNew, ErrorCode.ThresholdNotMet); // the accomplices are not trustees of the policy in effect

        w.H.TimeMs = s.PendingRecoveryPolicy.EffectiveAfterMs + 1;
        w.H.Accept(w.Alice.SignWith(new RecoveryStartPayload(w.ThiefKeys.ConfigAt(0)), w.H.Seq(w.Alice), w.Accomplices.SelectMany(a => a.AsTrustee())));
        s = w.H.Ledger.GetIdentity(w.Alice.Id)!;
        Assert.Equal(w.ThiefPolicy(LedgerHarness.MinRecoveryDelaySeconds), s.Recovery, RecoveryPolicyComparer.Instance);
        Assert.Null(s.PendingRecoveryPolicy);
        Assert.Equal(IdentityStatus.Recovering, s.Status);

        // …and the new policy's recovery still waits its own delay, in which the owner cancels with the next keys.
        w.H.Accept(w.Alice.Sign(new RecoveryCancelPayload(), w.H.Seq(w.Alice), w.Alice.Next));
        Assert.Equal(IdentityStatus.Active, w.H.Ledger.GetIdentity(w.Alice.Id)!.Status);
    }

    [Fact]
    public void Without_a_policy_a_change_by_the_current_keys_waits_the_chain_minimum()
    {
        using var w = new World(withPolicy: false);
        w.H.Accept(w.Alice.Sign(new SetRecoveryPolicyPayload(w.ThiefPolicy(LedgerHarness.MinRecoveryDelaySeconds)), w.H.Seq(w.Alice), w.Alice.Current));
        var change = w.H.Ledger.GetIdentity(w.Alice.Id)!.PendingRecoveryPolicy!;
        Assert.Null(w.H.Ledger.GetIdentity(w.Alice.Id)!.Recovery);
        Assert.Equal(change.RequestedAtMs + (LedgerHarness.MinRecoveryDelaySeconds * 1000), change.EffectiveAfterMs);

        w.H.TimeMs = change.EffectiveAfterMs; // not yet: effective strictly after
        w.H.Reject(w.Alice.SignWith(new RecoveryStartPayload(w.ThiefKeys.ConfigAt(0)), w.H.Seq(w.Alice), w.Accomplices.SelectMany(a => a.AsTrustee())), ErrorCode.NoRecoveryPolicy);
    }

    [Fact]
    public void The_next_keys_veto_a_pending_policy_change_by_rotating()
    {
        using var w = new World();
        w.H.Accept(w.Alice.Sign(new SetRecoveryPolicyPayload(w.ThiefPolicy(LedgerHarness.MinRecoveryDelaySeconds)), w.H.Seq(w.Alice), w.Alice.Current));
        w.H.Accept(w.Alice.Sign(new RotationPayload(w.Alice.ConfigAt(1)), w.H.Seq(w.Alice), w.Alice.Next));
        w.Alice.Rotation = 1;
        var s = w.H.Ledger.GetIdentity(w.Alice.Id)!;
        Assert.Null(s.PendingRecoveryPolicy);
        Assert.Equal(OwnerDelaySeconds, s.Recovery!.DelaySeconds);
        w.H.TimeMs += (OwnerDelaySeconds + 1) * 1000;
        w.H.Reject(w.Alice.SignWith(new RecoveryStartPayload(w.ThiefKeys.ConfigAt(0)), w.H.Seq(w.Alice), w.Accomplices.SelectMany(a => a.AsTrustee())), ErrorCode.ThresholdNotMet);
    }

    [Fact]
    public void A_rotation_or_the_next_keys_set_a_policy_at_once()
    {
        using var w = new World();
        var newPolicy = new RecoveryPolicy([w.Trustees[0].Id, w.Accomplices[0].Id], 2, 7200);
        w.H.Accept(w.Alice.Sign(new RotationPayload(w.Alice.ConfigAt(1), newPolicy), w.H.Seq(w.Alice), w.Alice.Next));
        w.Alice.Rotation = 1;
        var s = w.H.Ledger.GetIdentity(w.Alice.Id)!;
        Assert.Equal(newPolicy, s.Recovery, RecoveryPolicyComparer.Instance);
        Assert.Null(s.PendingRecoveryPolicy);

        var third = new RecoveryPolicy([w.Trustees[1].Id, w.Accomplices[1].Id], 2, 9000);
        w.H.Accept(w.Alice.Sign(new SetRecoveryPolicyPayload(third, Immediate: true), w.H.Seq(w.Alice), w.Alice.Next));
        s = w.H.Ledger.GetIdentity(w.Alice.Id)!;
        Assert.Equal(third, s.Recovery, RecoveryPolicyComparer.Instance);
        Assert.Null(s.PendingRecoveryPolicy);
    }

    [Fact]
    public void A_recovery_by_the_trustees_in_effect_drops_a_pending_policy_change()
    {
        using var w = new World();
        w.H.Accept(w.Alice.Sign(new SetRecoveryPolicyPayload(w.ThiefPolicy(LedgerHarness.MinRecoveryDelaySeconds)), w.H.Seq(w.Alice), w.Alice.Current));
        var recovered = new Actor("alice-recovered");
        w.H.Accept(w.Alice.SignWith(new RecoveryStartPayload(recovered.ConfigAt(0)), w.H.Seq(w.Alice), w.Trustees.SelectMany(t => t.AsTrustee())));
        Assert.Null(w.H.Ledger.GetIdentity(w.Alice.Id)!.PendingRecoveryPolicy);
        // Once the thief's change would have matured, its trustees still cannot cancel the owner's recovery.
        w.H.TimeMs += (OwnerDelaySeconds + 1) * 1000;
        w.H.Reject(w.Alice.SignWith(new RecoveryCancelPayload(), w.H.Seq(w.Alice), w.Accomplices.SelectMany(a => a.AsTrustee())), ErrorCode.NotAuthorized);
        w.H.Accept(w.Alice.Sign(new RecoveryFinalizePayload(), w.H.Seq(w.Alice), [recovered.Current[0]]));
        Assert.Equal(recovered.ConfigAt(0), w.Keys, KeyConfigComparer.Instance);
    }

    [Fact]
    public void A_recovery_is_never_finalized_in_its_start_block_nor_at_exactly_the_delay()
    {
        using var w = new World();
        var recovered = new Actor("alice-recovered");
        var seq = w.H.Seq(w.Alice);
        var start = w.Alice.SignWith(new RecoveryStartPayload(recovered.ConfigAt(0)), seq, w.Trustees.SelectMany(t => t.AsTrustee()));
        var results = w.H.Block(start, w.Alice.Sign(new RecoveryFinalizePayload(), seq + 1, [recovered.Current[0]]));
        Assert.True(results[0].IsOk);
        Assert.Equal(ErrorCode.RecoveryDelayNotElapsed, results[1].Code);

        var pending = w.H.Ledger.GetIdentity(w.Alice.Id)!.PendingRecovery!;
        w.H.TimeMs = pending.FinalizeAfterMs;
        w.H.Reject(w.Alice.Sign(new RecoveryFinalizePayload(), w.H.Seq(w.Alice), [recovered.Current[0]]), ErrorCode.RecoveryDelayNotElapsed);
        w.H.TimeMs = pending.FinalizeAfterMs + 1;
        w.H.Accept(w.Alice.Sign(new RecoveryFinalizePayload(), w.H.Seq(w.Alice), [recovered.Current[0]]));
    }

    [Fact]
    public void Who_signs_cannot_turn_an_immediate_policy_change_into_a_pending_one_or_back()
    {
        using var w = new World();
        var owners = new RecoveryPolicy([w.Trustees[1].Id, w.Accomplices[0].Id], 2, 7200);
        var seq = w.H.Seq(w.Alice);
        var byNext = w.Alice.Sign(new SetRecoveryPolicyPayload(owners, Immediate: true), seq, w.Alice.Next);
        // The thief sees the owner's body (a relayer, the node the owner uses) and signs it with the current keys:
        // same identifier, but the body says "immediate", which only the next keys authorize.
        var reSigned = w.Alice.Sign(new SetRecoveryPolicyPayload(owners, Immediate: true), seq, w.Alice.Current);
        Assert.Equal(byNext.Hash, reSigned.Hash);
        w.H.Reject(reSigned, ErrorCode.ThresholdNotMet);
        w.H.Accept(byNext);
        Assert.Equal(owners, w.H.Ledger.GetIdentity(w.Alice.Id)!.Recovery, RecoveryPolicyComparer.Instance);

        // And a pending change's body signed by the next keys stays pending — the next keys' signatures do not count for it.
        var pending = w.Alice.Sign(new SetRecoveryPolicyPayload(w.ThiefPolicy(LedgerHarness.MinRecoveryDelaySeconds)), w.H.Seq(w.Alice), w.Alice.Next);
        w.H.Reject(pending, ErrorCode.ThresholdNotMet);
    }

    [Fact]
    public void The_current_keys_cannot_deactivate_an_identity_without_next_keys_that_has_trustees_nor_end_their_recovery()
    {
        using var h = new LedgerHarness();
        var bob = h.Create(new Actor("bob"));
        var carol = h.Create(new Actor("carol"));
        var alice = new Actor("alice");
        var inception = alice.InceptionPayload(new RecoveryPolicy([bob.Id, carol.Id], 2, OwnerDelaySeconds), keys: new KeyConfig([alice.Current[0].PublicKey], 1, [], 0));
        var id = TransactionCodec.DeriveIdentity(inception);
        h.Accept(TransactionCodec.Sign(new TxBody(LedgerHarness.Chain, id, 1, inception), [(alice.Current[0], null)]));
        Transaction Deactivate(ulong seq, IEnumerable<(ISigner, IdentityId?)> by) =>
            TransactionCodec.Sign(new TxBody(LedgerHarness.Chain, id, seq, new DeactivatePayload()), by);

        h.Reject(Deactivate(2, [(alice.Current[0], null)]), ErrorCode.ThresholdNotMet);
        var recovered = new Actor("alice-recovered");
        h.Accept(TransactionCodec.Sign(new TxBody(LedgerHarness.Chain, id, 2, new RecoveryStartPayload(recovered.ConfigAt(0))), [.. bob.AsTrustee(), .. carol.AsTrustee()]));
        h.Reject(Deactivate(3, [(alice.Current[0], null)]), ErrorCode.ThresholdNotMet);
        Assert.Equal(IdentityStatus.Recovering, h.Ledger.GetIdentity(id)!.Status);
        // The trustees, the authority the thief does not hold, may.
        h.Accept(Deactivate(3, [.. bob.AsTrustee(), .. carol.AsTrustee()]));
        Assert.Equal(IdentityStatus.Deactivated, h.Ledger.GetIdentity(id)!.Status);
    }

    [Theory]
    [InlineData(0UL)]
    [InlineData(LedgerHarness.MinRecoveryDelaySeconds - 1)]
    public void A_policy_with_a_delay_below_the_chain_minimum_is_refused(ulong delay)
    {
        using var w = new World();
        w.H.Reject(w.Alice.Sign(new SetRecoveryPolicyPayload(w.ThiefPolicy(delay), Immediate: true), w.H.Seq(w.Alice), w.Alice.Next), ErrorCode.InvalidParameters);
        var bob = new Actor("erin");
        w.H.Reject(bob.Incept(w.ThiefPolicy(delay)), ErrorCode.InvalidParameters);
    }
}

/// <summary>Compares key configurations by value (records compare arrays by reference).</summary>
internal sealed class KeyConfigComparer : IEqualityComparer<KeyConfig>
{
    public static readonly KeyConfigComparer Instance = new();

    public bool Equals(KeyConfig? a, KeyConfig? b) =>
        a is not null && b is not null && a.SigningKeys.SequenceEqual(b.SigningKeys) && a.Threshold == b.Threshold
        && a.NextKeyDigests.SequenceEqual(b.NextKeyDigests) && a.NextThreshold == b.NextThreshold;

    public int GetHashCode(KeyConfig k) => k.Threshold;
}

internal sealed class RecoveryPolicyComparer : IEqualityComparer<RecoveryPolicy?>
{
    public static readonly RecoveryPolicyComparer Instance = new();

    public bool Equals(RecoveryPolicy? a, RecoveryPolicy? b) =>
        a is null ? b is null : b is not null && a.Trustees.SequenceEqual(b.Trustees) && a.Threshold == b.Threshold && a.DelaySeconds == b.DelaySeconds;

    public int GetHashCode(RecoveryPolicy? p) => p?.Threshold ?? 0;
}
