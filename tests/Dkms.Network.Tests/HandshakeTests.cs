using Dkms.Core.Crypto;

namespace Dkms.Network.Tests;

public sealed class HandshakeTests : IDisposable
{
    private readonly Ed25519Signer _alice = Ed25519Signer.FromSeed(Enumerable.Repeat((byte)1, 32).ToArray());
    private readonly byte[] _aliceNonce = Handshake.NewNonce();
    private readonly byte[] _bobNonce = Handshake.NewNonce();

    public void Dispose() => _alice.Dispose();

    [Fact]
    public void An_auth_made_for_this_connection_verifies_and_names_its_key()
    {
        var auth = Handshake.EncodeAuth(_alice, "chain-a", _aliceNonce, _bobNonce);

        Assert.True(Handshake.TryVerifyAuth(auth, "chain-a", _bobNonce, _aliceNonce, out var key));
        Assert.Equal(_alice.PublicKey, key);
    }

    [Fact]
    public void An_auth_for_another_chain_does_not_verify()
    {
        var auth = Handshake.EncodeAuth(_alice, "chain-a", _aliceNonce, _bobNonce);

        Assert.False(Handshake.TryVerifyAuth(auth, "chain-b", _bobNonce, _aliceNonce, out _));
    }

    [Fact]
    public void An_auth_replayed_on_another_connection_does_not_verify()
    {
        var auth = Handshake.EncodeAuth(_alice, "chain-a", _aliceNonce, _bobNonce);

        // The victim's fresh nonce differs on every connection.
        Assert.False(Handshake.TryVerifyAuth(auth, "chain-a", Handshake.NewNonce(), _aliceNonce, out _));
    }

    [Fact]
    public void An_auth_reflected_back_to_its_signer_does_not_verify()
    {
        var auth = Handshake.EncodeAuth(_alice, "chain-a", _aliceNonce, _bobNonce);

        // Alice verifying her own signature as if it came from the other side: nonces in the other order.
        Assert.False(Handshake.TryVerifyAuth(auth, "chain-a", _aliceNonce, _bobNonce, out _));
    }

    [Fact]
    public void An_auth_with_a_swapped_key_does_not_verify()
    {
        using var mallory = Ed25519Signer.Generate();
        var auth = Handshake.EncodeAuth(_alice, "chain-a", _aliceNonce, _bobNonce);
        mallory.PublicKey.CopyTo(auth.AsSpan(1));

        Assert.False(Handshake.TryVerifyAuth(auth, "chain-a", _bobNonce, _aliceNonce, out _));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(Handshake.AuthSize - 1)]
    [InlineData(Handshake.AuthSize + 1)]
    public void An_auth_of_the_wrong_size_is_rejected(int size)
    {
        var packet = new byte[size];
        if (size > 0) packet[0] = Wire.Auth;

        Assert.False(Handshake.TryVerifyAuth(packet, "chain-a", _bobNonce, _aliceNonce, out _));
    }

    [Fact]
    public void Hello_round_trips_and_rejects_other_versions()
    {
        var hello = Handshake.EncodeHello(_aliceNonce);

        Assert.True(Handshake.TryDecodeHello(hello, out var nonce));
        Assert.Equal(_aliceNonce, nonce);
        hello[1] = Handshake.Version + 1;
        Assert.False(Handshake.TryDecodeHello(hello, out _));
        Assert.False(Handshake.TryDecodeHello(hello.AsSpan(0, 10), out _));
    }

    [Fact]
    public void The_transcript_starts_with_the_domain_and_length_prefixes_the_chain_id()
    {
        var t = Handshake.Transcript("ab", _aliceNonce, _bobNonce, _alice.PublicKey);

        Assert.Equal("DKMS/peer-handshake/v1\0"u8.ToArray(), t[..23]);
        Assert.Equal(new byte[] { 0, 2, (byte)'a', (byte)'b' }, t[23..27]);
        Assert.Equal(23 + 2 + 2 + 32 + 32 + 32, t.Length);
    }
}
