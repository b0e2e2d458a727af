using Dkms.Core.Crypto;
using Dkms.Core.Encoding;
using Dkms.Core.Primitives;
using Dkms.Core.Transactions;

namespace Dkms.Core.Tests;

public class TransactionEncodingTests
{
    private static readonly Ed25519Signer Key = Ed25519Signer.FromSeed(new byte[32]);
    private static readonly PublicKey Pk = Key.PublicKey;
    private static readonly IdentityId Id = IdentityId.Derive("x"u8);

    public static TheoryData<TxPayload> EveryPayload() =>
    [
        new InceptionPayload(new KeyConfig([Pk], 1, [Pk.Digest()], 1), [new KeyAgreementKeyEntry("k1", Pk, "enc")], new RecoveryPolicy([Id, IdentityId.Derive("y"u8)], 2, 60)),
        new RotationPayload(new KeyConfig([Pk], 1, [], 0)),
        new AddKeyAgreementKeyPayload(new KeyAgreementKeyEntry("k2", Pk, "enc")),
        new RevokeKeyPayload("k2", null, 5),
        new RevokeKeyPayload(null, Pk, null),
        new SetRecoveryPolicyPayload(new RecoveryPolicy([Id, Id], 2, 1)),
        new SetRecoveryPolicyPayload(new RecoveryPolicy([Id, Id], 2, 1), Immediate: true),
        new RecoveryStartPayload(new KeyConfig([Pk], 1, [Pk.Digest()], 1)),
        new RecoveryCancelPayload(),
        new RecoveryFinalizePayload(),
        new DeactivatePayload(),
        new SetAgentPolicyPayload("devices", [new AgentChange(Pk, AgentRights.Prove | AgentRights.ProveGrant)], 2),
        new SetValidatorsPayload([new ValidatorEntry(Pk, "127.0.0.1:7000", 10)]),
    ];

    [Theory]
    [MemberData(nameof(EveryPayload))]
    public void Every_transaction_type_round_trips_through_its_signed_encoding(TxPayload payload)
    {
        // Trustees sign a recovery start (their signatures name them); everything else carries own-behalf signatures.
        var signer = payload is RecoveryStartPayload ? IdentityId.Derive("trustee"u8) : (IdentityId?)null;
        var tx = TransactionCodec.Sign(new TxBody("chain", Id, 7, payload), [(Key, signer)]);
        Assert.True(TransactionCodec.TryDecode(tx.Encoded, out var decoded, out var error), error.Message);
        Assert.Equal(tx.Hash, decoded!.Hash);
        Assert.Equal(payload.Type, decoded.Type);
        Assert.Equal(Codec.Encode(payload as TxPayload), Codec.Encode(decoded.Body.Payload));
        Assert.Equal(Id, decoded.Subject);
        Assert.Equal(7UL, decoded.Sequence);
        Assert.True(Ed25519.Verify(Pk, decoded.SigningMessage(), decoded.Signatures[0].Signature));
    }

    [Fact]
    public void Signing_message_is_domain_separated_the_identifier_covers_the_body_and_the_envelope_hash_the_signatures()
    {
        var body = new TxBody("chain", Id, 1, new DeactivatePayload());
        var other = Ed25519Signer.FromSeed(Enumerable.Repeat((byte)1, 32).ToArray());
        var a = TransactionCodec.Sign(body, [(Key, null)]);
        var b = TransactionCodec.Sign(body, [(Key, null), (other, null)]);
        Assert.StartsWith("DKMS/tx/v1", System.Text.Encoding.ASCII.GetString(a.SigningMessage()));
        Assert.Equal(a.BodyBytes, b.BodyBytes);
        Assert.Equal(a.Hash, b.Hash);
        Assert.Equal(Hash32.Sha256(a.BodyBytes), a.Hash);
        Assert.NotEqual(a.EnvelopeHash, b.EnvelopeHash);
        Assert.Equal(Hash32.Sha256(a.Encoded), a.EnvelopeHash);
    }

    [Fact]
    public void Identifier_is_derived_from_the_canonical_inception_payload()
    {
        var payload = new InceptionPayload(new KeyConfig([Pk], 1, [], 0), [], null);
        Assert.Equal(IdentityId.Derive(Codec.Encode(payload)), TransactionCodec.DeriveIdentity(payload));
        Assert.NotEqual(TransactionCodec.DeriveIdentity(payload), TransactionCodec.DeriveIdentity(payload with { Keys = payload.Keys with { Threshold = 2 } }));
    }

    [Theory]
    [InlineData(Limits.MaxSigningKeys + 1, 0)]
    [InlineData(1, Limits.MaxNextKeyDigests + 1)]
    public void Lists_beyond_their_limits_are_malformed(int keys, int digests)
    {
        var cfg = new KeyConfig([.. Enumerable.Repeat(Pk, keys)], 1, [.. Enumerable.Repeat(Pk.Digest(), digests)], 0);
        var tx = TransactionCodec.Sign(new TxBody("chain", Id, 1, new RotationPayload(cfg)), [(Key, null)]);
        Assert.False(TransactionCodec.TryDecode(tx.Encoded, out _, out var error));
        Assert.Equal(ErrorCode.Malformed, error.Code);
    }

    [Fact]
    public void Too_many_signatures_are_malformed()
    {
        var keys = Enumerable.Range(0, Limits.MaxSignatures + 1).Select(i => ((ISigner)Ed25519Signer.FromSeed(Hash32.Sha256([(byte)i]).ToArray()), (IdentityId?)null));
        var tx = TransactionCodec.Sign(new TxBody("chain", Id, 1, new DeactivatePayload()), keys);
        Assert.Equal(Limits.MaxSignatures + 1, tx.Signatures.Count);
        Assert.False(TransactionCodec.TryDecode(tx.Encoded, out _, out var error));
        Assert.Equal(ErrorCode.Malformed, error.Code);
    }

    [Fact]
    public void Merkle_list_root_depends_on_order_and_content()
    {
        var items = Enumerable.Range(0, 5).Select(i => Hash32.Sha256(BitConverter.GetBytes(i))).ToArray();
        Assert.Equal(Hash32.Zero, MerkleList.Root([]));
        Assert.NotEqual(items[0], MerkleList.Root([items[0]]));
        Assert.NotEqual(MerkleList.Root(items), MerkleList.Root([.. items.Reverse()]));
        Assert.Equal(MerkleList.Root(items), MerkleList.Root([.. items]));
    }

    [Fact]
    public void Signer_signature_verifies_and_a_flipped_bit_does_not()
    {
        var sig = Key.Sign("m"u8);
        Assert.True(Ed25519.Verify(Pk, "m"u8, sig));
        sig[0] ^= 1;
        Assert.False(Ed25519.Verify(Pk, "m"u8, sig));
        Assert.False(Ed25519.Verify(Pk, "m"u8, sig[..63]));
    }
}
