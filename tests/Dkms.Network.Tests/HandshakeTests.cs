using Dkms.Core.Crypto;
using Dkms.Core.Primitives;

namespace Dkms.Network.Tests;

public sealed class HandshakeTests : IDisposable
{
    private readonly Ed25519Signer _alice = Ed25519Signer.FromSeed(Enumerable.Repeat((byte)1, 32).ToArray());
    private readonly Ed25519Signer _bob = Ed25519Signer.FromSeed(Enumerable.Repeat((byte)2, 32).ToArray());
    private readonly Hello _aliceHello;
    private readonly Hello _bobHello;

    public HandshakeTests()
    {
        var random = new Random(16);
        _aliceHello = new Hello(HandshakeRole.Initiator, Bytes(random, 32), Bytes(random, 32), _alice.PublicKey);
        _bobHello = new Hello(HandshakeRole.Responder, Bytes(random, 32), Bytes(random, 32), _bob.PublicKey);
    }

    public void Dispose()
    {
        _alice.Dispose();
        _bob.Dispose();
    }

    [Fact]
    public void An_auth_over_this_transcript_verifies_for_its_signer_in_its_role()
    {
        var transcript = Handshake.TranscriptHash("chain-a", _aliceHello, _bobHello);
        var auth = Handshake.EncodeAuth(_alice, HandshakeRole.Initiator, transcript);

        Assert.True(Handshake.VerifyAuth(auth, _alice.PublicKey, HandshakeRole.Initiator, transcript));
    }

    [Fact]
    public void An_auth_for_another_chain_does_not_verify()
    {
        var auth = Handshake.EncodeAuth(_alice, HandshakeRole.Initiator, Handshake.TranscriptHash("chain-a", _aliceHello, _bobHello));

        Assert.False(Handshake.VerifyAuth(auth, _alice.PublicKey, HandshakeRole.Initiator, Handshake.TranscriptHash("chain-b", _aliceHello, _bobHello)));
    }

    [Fact]
    public void An_auth_replayed_on_another_connection_does_not_verify()
    {
        var auth = Handshake.EncodeAuth(_alice, HandshakeRole.Initiator, Handshake.TranscriptHash("chain-a", _aliceHello, _bobHello));

        // The victim's nonce and ephemeral key are fresh on every connection.
        var fresh = _bobHello with { Nonce = Handshake.NewNonce() };
        Assert.False(Handshake.VerifyAuth(auth, _alice.PublicKey, HandshakeRole.Initiator, Handshake.TranscriptHash("chain-a", _aliceHello, fresh)));
        var otherEphemeral = _bobHello with { Ephemeral = Handshake.NewNonce() };
        Assert.False(Handshake.VerifyAuth(auth, _alice.PublicKey, HandshakeRole.Initiator, Handshake.TranscriptHash("chain-a", _aliceHello, otherEphemeral)));
    }

    [Fact]
    public void An_auth_reflected_back_to_its_signer_in_the_other_role_does_not_verify()
    {
        var transcript = Handshake.TranscriptHash("chain-a", _aliceHello, _bobHello);
        var auth = Handshake.EncodeAuth(_alice, HandshakeRole.Initiator, transcript);

        Assert.False(Handshake.VerifyAuth(auth, _alice.PublicKey, HandshakeRole.Responder, transcript));
    }

    [Fact]
    public void An_auth_made_for_a_transcript_naming_another_responder_does_not_verify()
    {
        // Alice dialed Victor's address, where a relay forwarded her to Bob: she signed a transcript naming Victor.
        using var victor = Ed25519Signer.Generate();
        var auth = Handshake.EncodeAuth(_alice, HandshakeRole.Initiator,
            Handshake.TranscriptHash("chain-a", _aliceHello, _bobHello with { NodeKey = victor.PublicKey }));

        Assert.False(Handshake.VerifyAuth(auth, _alice.PublicKey, HandshakeRole.Initiator, Handshake.TranscriptHash("chain-a", _aliceHello, _bobHello)));
    }

    [Fact]
    public void An_auth_under_another_key_does_not_verify()
    {
        var transcript = Handshake.TranscriptHash("chain-a", _aliceHello, _bobHello);
        var auth = Handshake.EncodeAuth(_alice, HandshakeRole.Initiator, transcript);

        Assert.False(Handshake.VerifyAuth(auth, _bob.PublicKey, HandshakeRole.Initiator, transcript));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(Handshake.AuthSize - 1)]
    [InlineData(Handshake.AuthSize + 1)]
    public void An_auth_of_the_wrong_size_is_rejected(int size)
    {
        var packet = new byte[size];
        if (size > 0) packet[0] = Wire.Auth;

        Assert.False(Handshake.VerifyAuth(packet, _alice.PublicKey, HandshakeRole.Initiator, new byte[32]));
    }

    [Fact]
    public void Hello_round_trips_and_rejects_other_versions_roles_and_sizes()
    {
        var hello = Handshake.EncodeHello(_bobHello.Role, _bobHello.Nonce, _bobHello.Ephemeral, _bobHello.NodeKey);

        Assert.True(Handshake.TryDecodeHello(hello, out var decoded));
        Assert.Equal((_bobHello.Role, _bobHello.NodeKey), (decoded.Role, decoded.NodeKey));
        Assert.Equal(_bobHello.Nonce, decoded.Nonce);
        Assert.Equal(_bobHello.Ephemeral, decoded.Ephemeral);
        Assert.False(Handshake.TryDecodeHello(hello.AsSpan(0, 10), out _));
        Assert.False(Handshake.TryDecodeHello([.. hello, 0], out _));
        var role = (byte[])hello.Clone();
        role[2] = 2;
        Assert.False(Handshake.TryDecodeHello(role, out _));
        hello[1] = Handshake.Version + 1;
        Assert.False(Handshake.TryDecodeHello(hello, out _));
    }

    [Fact]
    public void The_transcript_covers_chain_both_keys_both_ephemerals_and_both_nonces_in_role_order()
    {
        var t = Handshake.TranscriptHash("ab", _aliceHello, _bobHello);

        Assert.Equal(32, t.Length);
        Assert.NotEqual(t, Handshake.TranscriptHash("ab", _bobHello, _aliceHello));
        foreach (var changed in new[]
        {
            _aliceHello with { NodeKey = _bob.PublicKey }, _aliceHello with { Ephemeral = new byte[32] }, _aliceHello with { Nonce = new byte[32] },
        })
        {
            Assert.NotEqual(t, Handshake.TranscriptHash("ab", changed, _bobHello));
            Assert.NotEqual(t, Handshake.TranscriptHash("ab", _aliceHello, changed with { Role = HandshakeRole.Responder }));
        }

        Assert.Equal("DKMS/peer-handshake/v2\0"u8.ToArray(), Handshake.SignedMessage(HandshakeRole.Responder, t)[..23]);
        Assert.Equal(1, Handshake.SignedMessage(HandshakeRole.Responder, t)[23]);
        Assert.Equal(_bob.PublicKey, new PublicKey(Handshake.EncodeHello(_bobHello.Role, _bobHello.Nonce, _bobHello.Ephemeral, _bob.PublicKey).AsSpan(67, 32)));
    }

    private static byte[] Bytes(Random random, int n)
    {
        var b = new byte[n];
        random.NextBytes(b);
        return b;
    }
}
