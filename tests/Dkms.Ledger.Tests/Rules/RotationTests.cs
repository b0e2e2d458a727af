using Dkms.Core.Transactions;
using Dkms.Ledger.Tests.Support;

namespace Dkms.Ledger.Tests.Rules;

public class RotationTests
{
    [Fact]
    public void Rotation_by_the_pre_rotated_next_keys_replaces_the_signing_keys()
    {
        using var h = new LedgerHarness();
        var alice = h.Create(new Actor("alice", keys: 3, threshold: 2));

        h.Accept(alice.Sign(new RotationPayload(alice.ConfigAt(1)), h.Seq(alice), alice.Next.Take(2)));

        var s = h.Ledger.GetIdentity(alice.Id)!;
        Assert.Equal(alice.Next.Select(k => k.PublicKey), s.Keys.SigningKeys);
        Assert.Equal(2UL, s.Sequence);
    }

    [Fact]
    public void Thief_with_the_current_signing_keys_cannot_rotate()
    {
        using var h = new LedgerHarness();
        var alice = h.Create(new Actor("alice"));
        // The thief signs a rotation to keys it controls, with the stolen current key.
        var thief = new Actor("thief");
        var r = h.Reject(alice.Sign(new RotationPayload(thief.ConfigAt(0)), h.Seq(alice), alice.Current), ErrorCode.NextKeyMismatch);
        Assert.Contains("next-key digest", r.Message);
    }

    [Fact]
    public void Thief_revealing_the_committed_next_keys_without_their_signatures_cannot_rotate()
    {
        using var h = new LedgerHarness();
        var alice = h.Create(new Actor("alice"));
        // The next public keys are right, but only the stolen current key signs.
        h.Reject(alice.Sign(new RotationPayload(alice.ConfigAt(1)), h.Seq(alice), alice.Current), ErrorCode.ThresholdNotMet);
    }

    [Fact]
    public void Revealed_key_that_does_not_match_a_committed_digest_is_rejected()
    {
        using var h = new LedgerHarness();
        var alice = h.Create(new Actor("alice", keys: 2, threshold: 1));
        var stranger = new Actor("stranger").Current[0];
        var cfg = alice.ConfigAt(1) with { SigningKeys = [alice.Next[0].PublicKey, stranger.PublicKey] };
        h.Reject(alice.Sign(new RotationPayload(cfg), h.Seq(alice), [alice.Next[0], stranger]), ErrorCode.NextKeyMismatch);
    }

    [Fact]
    public void Rotation_below_the_previous_next_threshold_is_rejected()
    {
        using var h = new LedgerHarness();
        var alice = h.Create(new Actor("alice", keys: 3, threshold: 2));
        // New threshold 1 would be met, but the previous event committed to needing 2 next keys.
        var cfg = alice.ConfigAt(1) with { Threshold = 1 };
        h.Reject(alice.Sign(new RotationPayload(cfg), h.Seq(alice), alice.Next.Take(1)), ErrorCode.ThresholdNotMet);
    }

    [Fact]
    public void Old_keys_stop_being_valid_after_a_rotation()
    {
        using var h = new LedgerHarness();
        var alice = h.Create(new Actor("alice"));
        h.Accept(alice.Sign(new RotationPayload(alice.ConfigAt(1)), h.Seq(alice), alice.Next));
        var old = alice.Current;
        alice.Rotation = 1;
        var kak = new KeyAgreementKeyEntry("k1", new Actor("x").Current[0].PublicKey, "encryption");
        h.Reject(alice.Sign(new AddKeyAgreementKeyPayload(kak), h.Seq(alice), old), ErrorCode.ThresholdNotMet);
        h.Accept(alice.Sign(new AddKeyAgreementKeyPayload(kak), h.Seq(alice), alice.Current));
    }

    [Fact]
    public void Identity_without_next_keys_cannot_rotate()
    {
        using var h = new LedgerHarness();
        var alice = new Actor("alice");
        var cfg = alice.ConfigAt(0) with { NextKeyDigests = [], NextThreshold = 0 };
        var payload = alice.InceptionPayload(keys: cfg);
        var tx = TransactionCodec.Sign(new TxBody(LedgerHarness.Chain, TransactionCodec.DeriveIdentity(payload), 1, payload),
            alice.Current.Select(s => ((Dkms.Core.Crypto.ISigner)s, (Dkms.Core.Primitives.IdentityId?)null)));
        h.Accept(tx);
        var id = tx.Subject;
        var rot = TransactionCodec.Sign(new TxBody(LedgerHarness.Chain, id, 2, new RotationPayload(alice.ConfigAt(1))),
            alice.Next.Select(s => ((Dkms.Core.Crypto.ISigner)s, (Dkms.Core.Primitives.IdentityId?)null)));
        h.Reject(rot, ErrorCode.CannotRotate);
    }

    [Fact]
    public void Successive_rotations_each_use_the_keys_committed_by_the_previous_one()
    {
        using var h = new LedgerHarness();
        var alice = h.Create(new Actor("alice", keys: 2, threshold: 2));
        for (var r = 1; r <= 5; r++)
        {
            h.Accept(alice.Sign(new RotationPayload(alice.ConfigAt(r)), h.Seq(alice), alice.KeysAt(r)));
        }

        Assert.Equal(6UL, h.Ledger.GetIdentity(alice.Id)!.Sequence);
        Assert.Equal(alice.KeysAt(5).Select(k => k.PublicKey), h.Ledger.GetIdentity(alice.Id)!.Keys.SigningKeys);
    }
}
