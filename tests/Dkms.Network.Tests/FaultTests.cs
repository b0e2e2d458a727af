using Dkms.Core.Crypto;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Dkms.Network.Tests;

public sealed class FaultTests
{
    private static readonly TimeSpan Quiet = TimeSpan.FromSeconds(2);

    [Fact]
    public void A_node_whose_key_is_not_a_validator_is_refused_and_not_heard()
    {
        using var net = new TestNet(3).StartAll();
        net.WaitFullyConnected();
        using var outsiderKey = Ed25519Signer.Generate();
        var outsider = net.StartWith(outsiderKey, $"127.0.0.1:{FreePort.Next()}");
        var validators = net.Nodes.Take(3).ToList();

        Eventually.True(() => validators.All(v => v.Network.Stats.RefusedHandshakes > 0), "every validator refused the outsider");
        Eventually.Never(() =>
        {
            outsider.Network.Broadcast(PeerChannel.Consensus, [6, 6, 6]);
            return validators.Any(v => v.Network.ConnectedPeers.Contains(outsiderKey.PublicKey) || v.Inbox.Count > 0);
        }, "the outsider is connected or heard", Quiet);

        var hex = outsiderKey.PublicKey.ToHex();
        Assert.Contains(validators[0].Log.Lines, l => l.Level == LogLevel.Warning && l.Message.Contains(hex, StringComparison.Ordinal));
        Assert.All(validators, v => Assert.Equal(2, v.Network.ConnectedPeers.Count));
    }

    [Fact]
    public void Nodes_of_different_chains_do_not_connect()
    {
        using var net = new TestNet(2);
        var a = net.Start(0);
        var b = net.Start(1, o => o with { ChainId = "another-chain" });

        Eventually.True(() => a.Network.Stats.RefusedHandshakes > 0 && b.Network.Stats.RefusedHandshakes > 0, "both refused the other");
        Eventually.Never(() => a.Network.ConnectedPeers.Count + b.Network.ConnectedPeers.Count > 0, "a connection across chains", Quiet);
    }

    [Fact]
    public void A_client_without_the_protocol_tag_is_refused_at_connect()
    {
        using var net = new TestNet(1);
        var node = net.Start(0);
        using var raw = new RawPeer(node.Network.ListenPort, dkmsTag: false);

        Eventually.True(() => raw.Disconnected, "refused");
        Assert.False(raw.WasConnected);
        Assert.True(node.Network.Stats.RefusedHandshakes >= 1);
    }

    [Fact]
    public void Garbage_before_the_handshake_is_counted_and_the_node_keeps_working()
    {
        using var net = new TestNet(2);
        var node = net.Start(0);
        using (var raw = new RawPeer(node.Network.ListenPort))
        {
            Eventually.True(() => raw.Connected, "raw client connected");
            raw.Send([0xFF, 0x00, 0x13, 0x37]);

            Eventually.True(() => raw.Disconnected, "the node dropped the raw client");
            Assert.Equal(1, node.Network.Stats.MalformedDropped);
            Assert.Equal(1, node.Network.Stats.RefusedHandshakes);
        }

        var other = net.Start(1);
        net.WaitFullyConnected();
        other.Network.Send(node.PublicKey, PeerChannel.Consensus, [1]);
        Eventually.True(() => node.Inbox.Count == 1, "a real peer is still heard");
    }

    [Fact]
    public void Broken_frames_from_an_authenticated_peer_are_dropped_and_counted_against_it()
    {
        using var net = new TestNet(2);
        var node = net.Start(0);
        var peerKey = net.Keys[1];
        using var raw = new RawPeer(node.Network.ListenPort);
        raw.Authenticate(peerKey, net.ChainId, node.PublicKey);
        Eventually.True(() => node.Network.ConnectedPeers.Contains(peerKey.PublicKey), "raw peer authenticated");

        // A good frame, a frame on an unknown channel (skipped alone), then a length running past the end; sealed,
        // so they are the authenticated peer's own bad frames.
        raw.SendFrames([0, 0, 0, 0, 1, 0xAA, 9, 0, 0, 0, 1, 0xBB, 1, 0, 0, 0x10, 0, 0xCC]);
        raw.SendFrames([0x77]);

        Eventually.True(() => node.Network.Stats.MalformedFrom(peerKey.PublicKey) == 3, "three bad messages counted");
        var got = Assert.Single(node.Inbox.Items);
        Assert.Equal((peerKey.PublicKey, PeerChannel.Consensus), (got.From, got.Channel));
        Assert.Equal([0xAA], got.Message);
        Assert.True(raw.Connected);
    }

    [Fact]
    public void An_oversized_incoming_frame_is_dropped_and_counted()
    {
        using var net = new TestNet(2);
        var node = net.Start(0, o => o with { MaxMessageBytes = 16 });
        var peerKey = net.Keys[1];
        using var raw = new RawPeer(node.Network.ListenPort);
        raw.Authenticate(peerKey, net.ChainId, node.PublicKey);
        Eventually.True(() => node.Network.ConnectedPeers.Contains(peerKey.PublicKey), "raw peer authenticated");

        raw.SendFrames([1, 0, 0, 0, 17, .. new byte[17], 1, 0, 0, 0, 1, 0x55]);

        Eventually.True(() => node.Inbox.Count == 1, "the frame within the limit delivered");
        Assert.Equal(1, node.Network.Stats.OversizedDropped);
        Assert.Equal(1, node.Network.Stats.MalformedFrom(peerKey.PublicKey));
    }

    [Fact]
    public void A_peer_sending_too_many_bad_messages_is_disconnected()
    {
        using var net = new TestNet(2);
        var node = net.Start(0);
        var peerKey = net.Keys[1];
        using var raw = new RawPeer(node.Network.ListenPort);
        raw.Authenticate(peerKey, net.ChainId, node.PublicKey);
        Eventually.True(() => node.Network.ConnectedPeers.Contains(peerKey.PublicKey), "raw peer authenticated");

        for (var i = 0; i <= PeerNetwork.MaxMalformedPerConnection; i++) raw.SendFrames([0x77]);

        Eventually.True(() => raw.Disconnected, "the node closed the connection");
        Assert.DoesNotContain(peerKey.PublicKey, node.Network.ConnectedPeers);
    }

    [Fact]
    public void An_unsealed_batch_after_the_handshake_is_dropped_as_forged_and_closes_the_session()
    {
        using var net = new TestNet(2);
        var node = net.Start(0);
        var peerKey = net.Keys[1];
        using var raw = new RawPeer(node.Network.ListenPort);
        raw.Authenticate(peerKey, net.ChainId, node.PublicKey);
        Eventually.True(() => node.Network.ConnectedPeers.Contains(peerKey.PublicKey), "raw peer authenticated");

        // What protocol v1 sent after its handshake, and what anyone who can inject into the stream could send.
        raw.Send([Wire.Batch, 0, 0, 0, 0, 1, 0xAA]);

        Eventually.True(() => raw.Disconnected, "the node closed the session");
        Assert.Equal(1, node.Network.Stats.ForgedDropped);
        Assert.Empty(node.Inbox.Items);
        Assert.DoesNotContain(peerKey.PublicKey, node.Network.ConnectedPeers);
    }

    [Fact]
    public void A_hello_naming_a_key_outside_the_validator_set_gets_neither_a_hello_nor_a_signature_back()
    {
        using var net = new TestNet(1);
        var node = net.Start(0);
        using var stranger = Ed25519Signer.Generate();
        using var session = new SecureSession();
        using var raw = new RawPeer(node.Network.ListenPort);
        Eventually.True(() => raw.Connected, "raw client connected");

        raw.Send(Handshake.EncodeHello(HandshakeRole.Initiator, Handshake.NewNonce(), session.EphemeralPublic, stranger.PublicKey));

        Eventually.True(() => raw.Disconnected, "the node refused the stranger");
        Assert.DoesNotContain(raw.Received, p => p.Length > 0 && p[0] is Wire.Hello or Wire.Auth);
        Assert.Equal(1, node.Network.Stats.RefusedHandshakes);
    }

    [Fact]
    public void A_silent_client_is_kept_until_the_handshake_timeout_and_dropped_after_it()
    {
        var clock = new FakeTimeProvider();
        using var net = new TestNet(1, time: clock);
        var timeout = TimeSpan.FromSeconds(5);
        var node = net.Start(0, o => o with { HandshakeTimeout = timeout });
        using var raw = new RawPeer(node.Network.ListenPort);
        // The clock moves only once the node holds the connection: its handshake started at this instant.
        Eventually.True(() => raw.WasConnected && node.Network.OpenConnections == 1, "the node took the client in");

        clock.Advance(timeout);
        Eventually.Never(() => raw.Disconnected || node.Network.Stats.HandshakeTimeouts > 0,
            "the client was dropped before more than the handshake timeout had passed", TimeSpan.FromMilliseconds(300));

        clock.Advance(TimeSpan.FromMilliseconds(100));
        Eventually.True(() => raw.Disconnected, "the node dropped the silent client");
        Assert.Equal(0, node.Network.Stats.RefusedHandshakes);
        Assert.Equal(1, node.Network.Stats.HandshakeTimeouts);
    }

    [Fact]
    public void An_exception_in_the_receive_handler_is_counted_and_delivery_goes_on()
    {
        using var net = new TestNet(2).StartAll();
        net.WaitFullyConnected();
        var (a, b) = (net.Nodes[0], net.Nodes[1]);
        var seen = 0;
        b.Network.MessageReceived = (_, _, m) =>
        {
            Interlocked.Increment(ref seen);
            if (m[0] == 0) throw new InvalidOperationException("handler bug");
        };

        a.Network.Send(b.PublicKey, PeerChannel.Consensus, [0]);
        a.Network.Send(b.PublicKey, PeerChannel.Consensus, [1]);

        Eventually.True(() => Volatile.Read(ref seen) == 2, "both messages handed over");
        Assert.Equal(1, b.Network.Stats.HandlerErrors);
    }
}
