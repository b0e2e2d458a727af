namespace Dkms.Network.Tests;

public sealed class SecureSessionTests : IDisposable
{
    private readonly SecureSession _initiator = new();
    private readonly SecureSession _responder = new();
    private readonly byte[] _transcript = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();

    public void Dispose()
    {
        _initiator.Dispose();
        _responder.Dispose();
    }

    private void Establish()
    {
        var initiatorPublic = _initiator.EphemeralPublic;
        Assert.True(_initiator.TryEstablish(_responder.EphemeralPublic, HandshakeRole.Initiator, _transcript));
        Assert.True(_responder.TryEstablish(initiatorPublic, HandshakeRole.Responder, _transcript));
    }

    private static byte[] Seal(SecureSession session, byte[] frames)
    {
        var buffer = new byte[SecureSession.HeaderSize + frames.Length + SecureSession.TagSize];
        frames.CopyTo(buffer, SecureSession.HeaderSize);
        return buffer[..session.Seal(buffer, SecureSession.HeaderSize + frames.Length)];
    }

    private static byte[] Plain(byte[] opened) => opened[SecureSession.HeaderSize..^SecureSession.TagSize];

    [Fact]
    public void Both_ends_derive_the_same_keys_and_frames_open_in_each_direction_in_order()
    {
        Establish();
        var random = new Random(16);
        for (var i = 0; i < 50; i++)
        {
            var frames = new byte[random.Next(0, 3000)];
            random.NextBytes(frames);
            var (from, to) = i % 3 == 0 ? (_responder, _initiator) : (_initiator, _responder);
            var packet = Seal(from, frames);

            Assert.Equal(Wire.Sealed, packet[0]);
            Assert.Equal(OpenResult.Ok, to.Open(packet));
            Assert.Equal(frames, Plain(packet));
        }
    }

    [Fact]
    public void The_ciphertext_does_not_show_the_frames()
    {
        Establish();
        var frames = new byte[256];
        var packet = Seal(_initiator, frames);

        Assert.NotEqual(frames, packet[SecureSession.HeaderSize..^SecureSession.TagSize]);
    }

    [Fact]
    public void Any_flipped_bit_or_a_truncation_is_forged_and_leaves_the_counter_where_it_was()
    {
        Establish();
        var random = new Random(17);
        var frames = new byte[100];
        random.NextBytes(frames);
        var packet = Seal(_initiator, frames);
        for (var bit = 8; bit < packet.Length * 8; bit += 1 + random.Next(7))
        {
            var forged = (byte[])packet.Clone();
            forged[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.Equal(OpenResult.Forged, _responder.Open(forged));
        }

        Assert.Equal(OpenResult.Forged, _responder.Open(packet[..^1]));
        Assert.Equal(OpenResult.Forged, _responder.Open(packet[..SecureSession.HeaderSize]));
        Assert.Equal(OpenResult.Forged, _responder.Open([]));
        Assert.Equal(OpenResult.Ok, _responder.Open((byte[])packet.Clone()));
    }

    [Fact]
    public void A_replayed_packet_is_told_apart_and_so_is_one_ahead_of_its_turn()
    {
        Establish();
        var first = Seal(_initiator, [1]);
        var second = Seal(_initiator, [2]);
        var third = Seal(_initiator, [3]);

        Assert.Equal(OpenResult.Ok, _responder.Open((byte[])first.Clone()));
        Assert.Equal(OpenResult.Replayed, _responder.Open((byte[])first.Clone()));
        Assert.Equal(OpenResult.Reordered, _responder.Open((byte[])third.Clone()));
        Assert.Equal(OpenResult.Ok, _responder.Open((byte[])second.Clone()));
        Assert.Equal(OpenResult.Ok, _responder.Open((byte[])third.Clone()));
    }

    [Fact]
    public void A_packet_reflected_back_to_its_sender_does_not_open()
    {
        Establish();
        var packet = Seal(_initiator, [1, 2, 3]);

        // The two directions have different keys.
        Assert.Equal(OpenResult.Forged, _initiator.Open(packet));
    }

    [Fact]
    public void A_relay_that_swaps_in_its_own_ephemeral_ends_up_with_keys_that_do_not_match()
    {
        using var relay = new SecureSession();
        Assert.True(_initiator.TryEstablish(relay.EphemeralPublic, HandshakeRole.Initiator, _transcript));
        Assert.True(_responder.TryEstablish(relay.EphemeralPublic, HandshakeRole.Responder, _transcript));

        Assert.Equal(OpenResult.Forged, _responder.Open(Seal(_initiator, [1])));
    }

    [Fact]
    public void Another_transcript_gives_other_keys()
    {
        var initiatorPublic = _initiator.EphemeralPublic;
        Assert.True(_initiator.TryEstablish(_responder.EphemeralPublic, HandshakeRole.Initiator, _transcript));
        Assert.True(_responder.TryEstablish(initiatorPublic, HandshakeRole.Responder, [.. _transcript.Reverse()]));

        Assert.Equal(OpenResult.Forged, _responder.Open(Seal(_initiator, [1])));
    }

    [Theory]
    [InlineData(0)] // the all-zero point gives an all-zero secret
    [InlineData(1)] // a low-order point, likewise
    public void A_low_order_ephemeral_key_is_refused(int which)
    {
        var key = new byte[32];
        key[0] = (byte)which;

        Assert.False(_initiator.TryEstablish(key, HandshakeRole.Initiator, _transcript));
    }
}
