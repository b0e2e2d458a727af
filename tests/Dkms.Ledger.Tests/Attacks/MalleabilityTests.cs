using Dkms.Core.Crypto;
using Dkms.Core.Encoding;
using Dkms.Core.Primitives;
using Dkms.Core.Transactions;
using Dkms.Ledger.Tests.Support;

namespace Dkms.Ledger.Tests.Attacks;

/// <summary>
/// A relayer (or anyone) holding someone's signed transaction tries to make other valid forms of it: reordered,
/// repeated, relabelled or padded signatures — each form used to be a new transaction hash, each costing
/// verifications, and the relayer's variant could commit while its author was told its own hash was refused.
/// </summary>
public class MalleabilityTests
{
    private static Transaction Reassemble(Transaction tx, Func<TxSignature[], TxSignature[]> change)
    {
        var envelope = Codec.Decode<SignedTransactionEnvelope>(tx.Encoded);
        var bytes = Codec.Encode(envelope with { Signatures = change(envelope.Signatures) });
        Assert.False(TransactionCodec.TryDecode(bytes, out _, out var error), "a non-canonical form decoded");
        Assert.Equal(ErrorCode.Malformed, error.Code);
        return tx;
    }

    private static (Actor Alice, Transaction Tx) TwoKeyTransaction()
    {
        var alice = new Actor("alice", keys: 3, threshold: 2);
        alice.Incept();
        return (alice, alice.Sign(new AddKeyAgreementKeyPayload(new KeyAgreementKeyEntry("k", alice.Current[0].PublicKey, "enc")), 2, alice.Current));
    }

    [Fact]
    public void Reordered_repeated_or_relabelled_signatures_are_malformed_before_any_signature_is_checked()
    {
        var (alice, tx) = TwoKeyTransaction();
        Reassemble(tx, s => [.. s.Reverse()]);
        Reassemble(tx, s => [s[0], s[0], .. s[1..]]);
        Reassemble(tx, s => [.. s, s[^1]]);
        Reassemble(tx, s => [s[0] with { Signer = alice.Id }, .. s[1..]]);
        Reassemble(tx, s => [s[0] with { Signer = IdentityId.Derive("a trustee"u8) }, .. s[1..]]);
        Reassemble(tx, _ => []);
    }

    [Fact]
    public void A_recovery_start_carries_trustee_signatures_only_and_a_finalize_exactly_one()
    {
        var alice = new Actor("alice");
        alice.Incept();
        var trustee = new Actor("bob");
        trustee.Incept();
        var start = alice.SignWith(new RecoveryStartPayload(new Actor("new").ConfigAt(0)), 2, [.. trustee.AsTrustee(), (alice.Current[0], null)]);
        Assert.False(TransactionCodec.TryDecode(start.Encoded, out _, out var error));
        Assert.Equal(ErrorCode.Malformed, error.Code);
        var finalize = alice.Sign(new RecoveryFinalizePayload(), 2, [alice.Current[0], trustee.Current[0]]);
        Assert.False(TransactionCodec.TryDecode(finalize.Encoded, out _, out error));
        Assert.Equal(ErrorCode.Malformed, error.Code);
    }

    [Fact]
    public void Every_signed_form_of_one_body_has_the_bodys_identifier()
    {
        var (alice, tx) = TwoKeyTransaction();
        var fewer = alice.Sign(tx.Body.Payload, tx.Sequence, alice.Current.Take(2));
        Assert.NotEqual(tx.Encoded.Length, fewer.Encoded.Length);
        Assert.Equal(tx.Hash, fewer.Hash);
        Assert.Equal(Hash32.Sha256(tx.BodyBytes), tx.Hash);
        Assert.NotEqual(tx.EnvelopeHash, fewer.EnvelopeHash);
    }

    [Fact]
    public void When_a_relayers_variant_commits_the_author_learns_its_transaction_committed()
    {
        using var h = new LedgerHarness();
        var alice = h.Create(new Actor("alice", keys: 3, threshold: 2));
        var authors = alice.Sign(new AddKeyAgreementKeyPayload(new KeyAgreementKeyEntry("k", alice.Current[0].PublicKey, "enc")), h.Seq(alice), alice.Current);
        // The relayer drops one of the three signatures (still enough) and gets its variant in first.
        var relayed = TransactionCodec.Decode(Codec.Encode(Codec.Decode<SignedTransactionEnvelope>(authors.Encoded) is var e ? e with { Signatures = e.Signatures[..2] } : null!));
        h.Accept(relayed);
        Assert.NotNull(h.Ledger.GetTransaction(authors.Hash));
        h.Reject(authors, ErrorCode.Duplicate);
    }

    [Fact]
    public void A_forged_signature_does_not_ride_on_the_verification_of_another_form_of_the_body()
    {
        using var h = new LedgerHarness();
        var alice = h.Create(new Actor("alice", keys: 2, threshold: 2));
        // The author's half-signed form verifies (it is refused for its threshold) and is cached as verified.
        var half = alice.Sign(new AddKeyAgreementKeyPayload(new KeyAgreementKeyEntry("k", alice.Current[0].PublicKey, "enc")), h.Seq(alice), alice.Current.Take(1));
        Assert.Equal(ErrorCode.ThresholdNotMet, h.Ledger.CheckTransaction(half).Code);
        Assert.True(h.Ledger.Signatures.Contains(half.EnvelopeHash));
        // The forger adds an entry for the second key with made-up bytes: same identifier, but never verified by proxy.
        var forgedEntry = new TxSignature(alice.Current[1].PublicKey, new byte[Ed25519.SignatureSize], null);
        Assert.True(TransactionCodec.TryAssemble(half.BodyBytes, [.. half.Signatures, forgedEntry], out var forged, out _));
        Assert.Equal(half.Hash, forged!.Hash);
        h.Reject(forged, ErrorCode.BadSignature);
        Assert.Null(h.Ledger.GetIdentity(alice.Id)!.KeyAgreementKeys.FirstOrDefault());
    }

    [Fact]
    public void A_signature_the_authorization_cannot_use_is_refused()
    {
        using var h = new LedgerHarness();
        var alice = h.Create(new Actor("alice"));
        var padded = alice.Sign(new AddKeyAgreementKeyPayload(new KeyAgreementKeyEntry("k", alice.Current[0].PublicKey, "enc")), h.Seq(alice),
            [alice.Current[0], new Actor("stranger").Current[0]]);
        h.Reject(padded, ErrorCode.Malformed);
        var withNext = alice.Sign(new AddKeyAgreementKeyPayload(new KeyAgreementKeyEntry("k", alice.Current[0].PublicKey, "enc")), h.Seq(alice),
            [alice.Current[0], alice.Next[0]]);
        h.Reject(withNext, ErrorCode.Malformed);
        h.Accept(alice.Sign(withNext.Body.Payload, h.Seq(alice), alice.Current));
    }

    [Fact]
    public void The_one_canonical_form_is_what_signing_produces_whatever_order_signers_are_given_in()
    {
        var alice = new Actor("alice", keys: 3, threshold: 2);
        alice.Incept();
        var payload = new AddKeyAgreementKeyPayload(new KeyAgreementKeyEntry("k", alice.Current[0].PublicKey, "enc"));
        var a = alice.Sign(payload, 2, alice.Current);
        var b = alice.Sign(payload, 2, alice.Current.Reverse());
        Assert.Equal(a.Encoded, b.Encoded);
        Assert.True(TransactionCodec.TryDecode(a.Encoded, out _, out _));
    }
}
