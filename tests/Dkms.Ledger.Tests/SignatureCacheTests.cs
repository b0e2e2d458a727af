using Dkms.Core.Transactions;
using Dkms.Ledger.Execution;
using Dkms.Ledger.Tests.Support;

namespace Dkms.Ledger.Tests;

public class SignatureCacheTests
{
    [Fact]
    public void Transaction_checked_on_admission_is_not_verified_again_in_the_block()
    {
        using var h = new LedgerHarness();
        var tx = new Actor("alice").Incept();
        Assert.True(h.Ledger.CheckTransaction(tx).IsOk);
        Assert.Equal(1, h.Ledger.Signatures.Verifications);
        Assert.True(h.Block(tx)[0].IsOk);
        Assert.Equal(1, h.Ledger.Signatures.Verifications);
    }

    [Fact]
    public void Block_of_unseen_transactions_is_verified_once_each_in_parallel()
    {
        using var h = new LedgerHarness();
        var txs = Enumerable.Range(0, 64).Select(i => new Actor($"a{i}").Incept()).ToArray();
        Assert.All(h.Block(txs), r => Assert.True(r.IsOk));
        Assert.Equal(64, h.Ledger.Signatures.Verifications);
    }

    [Fact]
    public void Failed_verification_is_not_cached()
    {
        var cache = new SignatureCache();
        var alice = new Actor("alice");
        var good = alice.Incept();
        var bad = alice.Sign(good.Body.Payload, 1, [new Actor("mallory").Current[0]]);
        var envelope = Dkms.Core.Encoding.Codec.Decode<SignedTransactionEnvelope>(bad.Encoded);
        var forged = TransactionCodec.Decode(Dkms.Core.Encoding.Codec.Encode(envelope with
        {
            Signatures = [envelope.Signatures[0] with { Key = alice.Current[0].PublicKey }],
        }));
        Assert.Equal(ErrorCode.BadSignature, SignatureVerifier.Verify(forged, cache).Code);
        Assert.False(cache.Contains(forged.EnvelopeHash));
        Assert.Equal(ErrorCode.BadSignature, SignatureVerifier.Verify(forged, cache).Code);
        Assert.Equal(2, cache.Verifications);
    }

    [Fact]
    public void Cache_stays_bounded()
    {
        var cache = new SignatureCache(capacity: 100);
        for (var i = 0; i < 1000; i++) cache.Add(Dkms.Core.Primitives.Hash32.Sha256(BitConverter.GetBytes(i)));
        var remembered = Enumerable.Range(0, 1000).Count(i => cache.Contains(Dkms.Core.Primitives.Hash32.Sha256(BitConverter.GetBytes(i))));
        Assert.InRange(remembered, 50, 100);
        Assert.True(cache.Contains(Dkms.Core.Primitives.Hash32.Sha256(BitConverter.GetBytes(999))));
    }
}
