namespace Dkms.Network.Tests;

/// <summary>Before authentication a connection can make the node keep nothing larger than a handshake message.</summary>
public sealed class PreAuthSizeTests
{
    [Fact]
    public void A_packet_larger_than_a_handshake_message_before_authentication_is_dropped_before_it_is_queued()
    {
        using var net = new TestNet(2);
        var node = net.Start(0);
        using var raw = new RawPeer(node.Network.ListenPort);
        Eventually.True(() => raw.Connected, "raw client connected");

        raw.Send(new byte[256 * 1024]);
        Eventually.True(() => node.Network.Stats.PreAuthOversizedDropped == 1, "the big packet was dropped in the receive callback");

        // Never reached the handshake: the connection is still waiting for a Hello, and a real one succeeds.
        Assert.Equal(0, node.Network.Stats.MalformedDropped);
        raw.Authenticate(net.Keys[1], net.ChainId, node.PublicKey);
        Eventually.True(() => node.Network.ConnectedPeers.Contains(net.Keys[1].PublicKey), "the handshake after the dropped packet");
    }
}
