using Dkms.Core.Transactions;
using Dkms.Ledger.Tests.Support;

namespace Dkms.Ledger.Tests.Rules;

public class KeyAgreementTests
{
    private static KeyAgreementKeyEntry Kak(string id, string seed) => new(id, new Actor(seed).Current[0].PublicKey, "encryption");

    [Fact]
    public void Added_key_agreement_key_is_active_and_revoking_keeps_it_marked_in_history()
    {
        using var h = new LedgerHarness();
        var alice = h.Create(new Actor("alice"));
        h.Accept(alice.Sign(new AddKeyAgreementKeyPayload(Kak("k1", "x1")), h.Seq(alice), alice.Current));
        var revokeHeight = h.Ledger.Height + 1;
        h.Accept(alice.Sign(new RevokeKeyPayload("k1", null, h.Ledger.Height), h.Seq(alice), alice.Current));

        var key = Assert.Single(h.Ledger.GetIdentity(alice.Id)!.KeyAgreementKeys);
        Assert.False(key.IsActive);
        Assert.Equal(revokeHeight, key.RevokedAtHeight);
        Assert.Equal(revokeHeight - 1, key.CompromisedAtHeight);
    }

    [Fact]
    public void Key_agreement_changes_need_the_current_signing_threshold()
    {
        using var h = new LedgerHarness();
        var alice = h.Create(new Actor("alice", keys: 3, threshold: 2));
        h.Reject(alice.Sign(new AddKeyAgreementKeyPayload(Kak("k1", "x1")), h.Seq(alice), alice.Current.Take(1)), ErrorCode.ThresholdNotMet);
        h.Reject(alice.Sign(new AddKeyAgreementKeyPayload(Kak("k1", "x1")), h.Seq(alice), [new Actor("mallory").Current[0]]), ErrorCode.ThresholdNotMet);
    }

    [Fact]
    public void Reused_key_id_or_unknown_key_is_rejected()
    {
        using var h = new LedgerHarness();
        var alice = h.Create(new Actor("alice"), keyAgreement: [Kak("k1", "x1")]);
        h.Reject(alice.Sign(new AddKeyAgreementKeyPayload(Kak("k1", "x2")), h.Seq(alice), alice.Current), ErrorCode.KeyAlreadyExists);
        h.Reject(alice.Sign(new RevokeKeyPayload("nope", null, null), h.Seq(alice), alice.Current), ErrorCode.UnknownKey);
        h.Reject(alice.Sign(new RevokeKeyPayload("k1", alice.Next[0].PublicKey, null), h.Seq(alice), alice.Current), ErrorCode.InvalidParameters);
    }

    [Fact]
    public void Stolen_signing_key_marked_compromised_makes_its_later_signatures_invalid()
    {
        using var h = new LedgerHarness();
        var alice = h.Create(new Actor("alice"));
        var stolen = alice.Current[0].PublicKey;
        for (var i = 0; i < 3; i++) h.Block();
        var stolenAt = h.Ledger.Height; // the owner learns the key leaked at this height

        // The owner rotates with the pre-rotated keys the thief never saw, then marks the old key.
        h.Accept(alice.Sign(new RotationPayload(alice.ConfigAt(1)), h.Seq(alice), alice.Next));
        alice.Rotation = 1;
        h.Reject(alice.Sign(new RevokeKeyPayload(null, alice.Current[0].PublicKey, stolenAt), h.Seq(alice), alice.Current), ErrorCode.InvalidParameters);
        h.Accept(alice.Sign(new RevokeKeyPayload(null, stolen, stolenAt), h.Seq(alice), alice.Current));

        Assert.Equal(KeyValidity.Valid, h.Ledger.CheckSigningKey(alice.Id, stolen, stolenAt - 1));
        Assert.Equal(KeyValidity.Compromised, h.Ledger.CheckSigningKey(alice.Id, stolen, stolenAt));
        Assert.Equal(KeyValidity.NotASigningKey, h.Ledger.CheckSigningKey(alice.Id, stolen, h.Ledger.Height));
        Assert.Equal(KeyValidity.Valid, h.Ledger.CheckSigningKey(alice.Id, alice.Current[0].PublicKey, h.Ledger.Height));
    }

    [Fact]
    public void Marking_a_key_that_was_never_a_signing_key_is_rejected()
    {
        using var h = new LedgerHarness();
        var alice = h.Create(new Actor("alice"));
        h.Reject(alice.Sign(new RevokeKeyPayload(null, new Actor("x").Current[0].PublicKey, 0), h.Seq(alice), alice.Current), ErrorCode.UnknownKey);
    }
}
