namespace Dkms.Network.Tests;

public sealed class FramingTests
{
    private static byte[] Batch(params (PeerChannel Channel, byte[] Payload)[] frames)
    {
        using var writer = new BatchWriter(16);
        foreach (var (channel, payload) in frames) writer.Add(channel, payload);
        return writer.Frames.ToArray();
    }

    [Fact]
    public void Frames_written_into_a_batch_read_back_in_order()
    {
        var big = new byte[100_000];
        new Random(1).NextBytes(big);
        var packet = Batch((PeerChannel.Consensus, [1]), (PeerChannel.Mempool, []), (PeerChannel.Consensus, big));

        var read = BatchReader.Read(packet, 1 << 20);

        Assert.Equal((0, 0), (read.Malformed, read.Oversized));
        Assert.Equal([PeerChannel.Consensus, PeerChannel.Mempool, PeerChannel.Consensus], read.Frames.Select(f => f.Channel));
        Assert.Equal([1], read.Frames[0].Payload);
        Assert.Empty(read.Frames[1].Payload);
        Assert.Equal(big, read.Frames[2].Payload);
    }

    [Fact]
    public void A_truncated_frame_spoils_the_rest_of_the_batch_only()
    {
        var packet = Batch((PeerChannel.Consensus, [1]), (PeerChannel.Consensus, [2, 3, 4]));

        var read = BatchReader.Read(packet[..^1], 1 << 20);

        Assert.Equal([1], Assert.Single(read.Frames).Payload);
        Assert.Equal(1, read.Malformed);
    }

    [Fact]
    public void A_frame_on_an_unknown_channel_or_above_the_limit_is_skipped_alone()
    {
        var packet = Batch((PeerChannel.Consensus, new byte[11]), ((PeerChannel)7, [1]), (PeerChannel.Mempool, [2]));

        var read = BatchReader.Read(packet, 10);

        Assert.Equal([2], Assert.Single(read.Frames).Payload);
        Assert.Equal((1, 1), (read.Malformed, read.Oversized));
    }

    [Theory]
    [InlineData(new byte[] { })]
    [InlineData(new byte[] { 0 })]
    [InlineData(new byte[] { 0, 0, 0 })]
    [InlineData(new byte[] { 0, 0, 0, 0, 9 })]
    [InlineData(new byte[] { 0, 0xFF, 0xFF, 0xFF, 0xFF, 1 })]
    public void Garbage_is_malformed_and_never_throws(byte[] packet)
    {
        var read = BatchReader.Read(packet, 1 << 20);

        Assert.Empty(read.Frames);
        Assert.True(read.Malformed >= 1);
    }

    [Fact]
    public void Random_bytes_never_throw()
    {
        var random = new Random(42);
        for (var i = 0; i < 10_000; i++)
        {
            var packet = new byte[random.Next(0, 64)];
            random.NextBytes(packet);
            var read = BatchReader.Read(packet, 32);
            Assert.All(read.Frames, f => Assert.True(f.Payload.Length <= 32));
        }
    }
}
