using Dkms.Core.Crypto;
using Dkms.Core.Primitives;
using Dkms.Core.Transactions;
using Dkms.Ledger.State;
using Dkms.Ledger.Tests.Support;

namespace Dkms.Ledger.Tests.Rules;

public class InceptionTests
{
    [Fact]
    public void Inception_signed_by_its_keys_creates_an_active_identity()
    {
        using var h = new LedgerHarness();
        var alice = h.Create(new Actor("alice", keys: 3, threshold: 2));

        var s = h.Ledger.GetIdentity(alice.Id)!;
        Assert.Equal(IdentityStatus.Active, s.Status);
        Assert.Equal(1UL, s.Sequence);
        Assert.Equal(2, s.Keys.Threshold);
        Assert.Equal(3, s.Keys.SigningKeys.Length);
        Assert.Equal(alice.Next.Select(k => k.PublicKey.Digest()), s.Keys.NextKeyDigests);
    }

    [Fact]
    public void Inception_below_its_threshold_is_rejected()
    {
        using var h = new LedgerHarness();
        var alice = new Actor("alice", keys: 3, threshold: 2);
        var payload = alice.InceptionPayload();
        alice.Incept();
        h.Reject(alice.Sign(payload, 1, alice.Current.Take(1)), ErrorCode.ThresholdNotMet);
    }

    [Fact]
    public void Inception_for_an_identifier_not_derived_from_its_body_is_rejected()
    {
        using var h = new LedgerHarness();
        var alice = new Actor("alice");
        alice.Incept();
        var other = new Actor("mallory").InceptionPayload();
        // Alice's identifier, Mallory's keys: the identifier is self-certifying, so this must fail.
        h.Reject(alice.Sign(other, 1, new Actor("mallory").Current), ErrorCode.InvalidParameters);
    }

    [Fact]
    public void Second_inception_of_the_same_identity_is_rejected()
    {
        using var h = new LedgerHarness();
        var alice = new Actor("alice");
        var tx = alice.Incept();
        h.Accept(tx);
        // A byte-identical copy is a duplicate, and so is the same body signed again: one body, one transaction.
        h.Reject(tx, ErrorCode.Duplicate);
        var again = TransactionCodec.Sign(tx.Body, [((ISigner)alice.Current[0], (IdentityId?)null)]);
        Assert.Equal(tx.Hash, again.Hash);
        h.Reject(again, ErrorCode.Duplicate);
        // Another inception body of the same keys is another identity.
        var other = alice.InceptionPayload(keyAgreement: [new KeyAgreementKeyEntry("k", alice.Current[0].PublicKey, "enc")]);
        Assert.NotEqual(alice.Id, TransactionCodec.DeriveIdentity(other));
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(3, 1)]
    [InlineData(1, 0)]
    [InlineData(1, 2)]
    public void Inception_with_impossible_thresholds_is_rejected(int threshold, int nextThreshold)
    {
        using var h = new LedgerHarness();
        var a = new Actor("alice", keys: 2, threshold: 1);
        var cfg = a.ConfigAt(0) with { Threshold = threshold, NextThreshold = nextThreshold, NextKeyDigests = a.ConfigAt(0).NextKeyDigests[..1] };
        var payload = a.InceptionPayload(keys: cfg);
        var id = TransactionCodec.DeriveIdentity(payload);
        var tx = TransactionCodec.Sign(new TxBody(LedgerHarness.Chain, id, 1, payload), a.Current.Select(s => ((ISigner)s, (IdentityId?)null)));
        h.Reject(tx, ErrorCode.InvalidParameters);
    }

    [Fact]
    public void Inception_whose_next_key_is_also_a_current_key_is_rejected()
    {
        using var h = new LedgerHarness();
        var a = new Actor("alice");
        var cfg = a.ConfigAt(0) with { NextKeyDigests = [a.Current[0].PublicKey.Digest()] };
        var payload = a.InceptionPayload(keys: cfg);
        var tx = TransactionCodec.Sign(new TxBody(LedgerHarness.Chain, TransactionCodec.DeriveIdentity(payload), 1, payload),
            a.Current.Select(s => ((ISigner)s, (IdentityId?)null)));
        h.Reject(tx, ErrorCode.InvalidParameters);
    }

    [Fact]
    public void Inception_with_a_sequence_other_than_one_is_rejected()
    {
        using var h = new LedgerHarness();
        var a = new Actor("alice");
        var payload = a.InceptionPayload();
        a.Incept();
        h.Reject(a.Sign(payload, 2, a.Current), ErrorCode.BadSequence);
    }

    [Fact]
    public void Inception_naming_an_unknown_trustee_is_rejected()
    {
        using var h = new LedgerHarness();
        var ghost1 = new Actor("ghost1");
        ghost1.Incept();
        var ghost2 = new Actor("ghost2");
        ghost2.Incept();
        var a = new Actor("alice");
        h.Reject(a.Incept(new RecoveryPolicy([ghost1.Id, ghost2.Id], 2, 60)), ErrorCode.UnknownIdentity);
    }
}
