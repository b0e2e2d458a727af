using Dkms.Core.Crypto;
using Dkms.Core.Primitives;
using Dkms.Core.Transactions;
using Dkms.Ledger.Tests.Support;

namespace Dkms.Ledger.Tests.Attacks;

/// <summary>
/// Anyone on the RPC sends transactions that can never be accepted now — for identities nobody created, out of turn —
/// carrying as many signatures as the format allows, to make every node verify them. The checks that need no signature
/// come first, so such a transaction costs no verification at all.
/// </summary>
public class JunkCostTests
{
    private static Transaction WithSignatures(IdentityId subject, ulong sequence, int signatures) =>
        TransactionCodec.Sign(new TxBody(LedgerHarness.Chain, subject, sequence, new DeactivatePayload()),
            Enumerable.Range(0, signatures).Select(i => ((ISigner)Ed25519Signer.FromSeed(Hash32.Sha256([(byte)i, (byte)sequence]).ToArray()), (IdentityId?)null)));

    [Theory]
    [InlineData(1)]
    [InlineData(Limits.MaxSignatures)]
    public void A_transaction_for_nobody_or_out_of_turn_is_refused_without_verifying_a_signature(int signatures)
    {
        using var h = new LedgerHarness();
        var alice = h.Create(new Actor("alice"));
        var before = h.Ledger.Signatures.Verifications;

        Assert.Equal(ErrorCode.UnknownIdentity, h.Ledger.CheckTransaction(WithSignatures(IdentityId.Derive("nobody"u8), 2, signatures)).Code);
        Assert.Equal(ErrorCode.BadSequence, h.Ledger.CheckTransaction(WithSignatures(alice.Id, 9, signatures)).Code);
        Assert.Equal(ErrorCode.BadSequence, h.Ledger.CheckTransaction(WithSignatures(alice.Id, 1, signatures)).Code);
        Assert.Equal(before, h.Ledger.Signatures.Verifications);
        Assert.Equal([false, false, true], h.Ledger.InLine([WithSignatures(IdentityId.Derive("nobody"u8), 2, 1), WithSignatures(alice.Id, 9, 1), WithSignatures(alice.Id, 2, 1)]));

        // Next in line, the signatures are verified as always (and this one's do not authorize it).
        Assert.Equal(ErrorCode.ThresholdNotMet, h.Ledger.CheckTransaction(WithSignatures(alice.Id, 2, signatures)).Code);
        Assert.Equal(before + 1, h.Ledger.Signatures.Verifications);
    }
}
