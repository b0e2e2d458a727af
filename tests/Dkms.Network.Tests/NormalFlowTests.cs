using System.Security.Cryptography;

namespace Dkms.Network.Tests;

public sealed class NormalFlowTests
{
    [Fact]
    public void Four_validators_connect_to_each_other()
    {
        using var net = new TestNet(4).StartAll();

        net.WaitFullyConnected();

        foreach (var n in net.Nodes)
        {
            Assert.Equal(3, n.Network.ConnectedPeers.Count);
            Assert.DoesNotContain(n.PublicKey, n.Network.ConnectedPeers);
        }
    }

    [Fact]
    public void A_node_is_told_when_its_session_with_a_validator_opens()
    {
        using var net = new TestNet(2);
        var seen = new System.Collections.Concurrent.ConcurrentQueue<Dkms.Core.Primitives.PublicKey>();
        net.Start(0).Network.PeerConnected = seen.Enqueue; // before the other exists: no session can open earlier
        var other = net.Start(1);
        net.WaitFullyConnected();

        Eventually.True(() => seen.Contains(other.PublicKey), "told of the session");
        Assert.Single(seen);
    }

    [Theory]
    [InlineData(PeerChannel.Consensus)]
    [InlineData(PeerChannel.Mempool)]
    public void Broadcast_reaches_every_other_validator_with_the_senders_key(PeerChannel channel)
    {
        using var net = new TestNet(4).StartAll();
        net.WaitFullyConnected();
        var sender = net.Nodes[2];

        sender.Network.Broadcast(channel, [1, 2, 3]);

        foreach (var n in net.Nodes.Where(n => n != sender))
        {
            Eventually.True(() => n.Inbox.Count == 1, "broadcast delivered");
            var got = n.Inbox.Items[0];
            Assert.Equal(sender.PublicKey, got.From);
            Assert.Equal(channel, got.Channel);
            Assert.Equal(new byte[] { 1, 2, 3 }, got.Message);
        }

        Assert.Equal(0, sender.Inbox.Count);
    }

    [Fact]
    public void Send_reaches_only_its_target_on_its_channel()
    {
        using var net = new TestNet(4).StartAll();
        net.WaitFullyConnected();
        var (a, b) = (net.Nodes[0], net.Nodes[3]);

        a.Network.Send(b.PublicKey, PeerChannel.Mempool, [42]);
        a.Network.Send(b.PublicKey, PeerChannel.Consensus, [43]);

        Eventually.True(() => b.Inbox.Count == 2, "both messages delivered");
        Assert.Equal([42], Assert.Single(b.Inbox.From(a.PublicKey, PeerChannel.Mempool)).Message);
        Assert.Equal([43], Assert.Single(b.Inbox.From(a.PublicKey, PeerChannel.Consensus)).Message);
        Assert.Equal(0, net.Nodes[1].Inbox.Count + net.Nodes[2].Inbox.Count);
    }

    [Fact]
    public void A_consensus_channel_broadcast_and_send_arrive_on_the_consensus_channel()
    {
        using var net = new TestNet(4).StartAll();
        net.WaitFullyConnected();
        var sender = net.Nodes[1];

        sender.Network.Broadcast(PeerChannel.Consensus, [9, 9]);
        sender.Network.Send(net.Nodes[0].PublicKey, PeerChannel.Consensus, [7]);

        Eventually.True(() => net.Nodes[0].Inbox.Count == 2, "broadcast and send delivered");
        Assert.All(net.Nodes[0].Inbox.Items, r => Assert.Equal(PeerChannel.Consensus, r.Channel));
        foreach (var n in net.Nodes.Skip(2))
        {
            Eventually.True(() => n.Inbox.Count == 1, "broadcast delivered");
            Assert.Equal((sender.PublicKey, PeerChannel.Consensus), (n.Inbox.Items[0].From, n.Inbox.Items[0].Channel));
        }
    }

    [Fact]
    public void A_4_MiB_message_is_delivered_intact()
    {
        using var net = new TestNet(2).StartAll();
        net.WaitFullyConnected();
        var block = new byte[4 * 1024 * 1024];
        new Random(7).NextBytes(block);

        net.Nodes[0].Network.Send(net.Nodes[1].PublicKey, PeerChannel.Consensus, block);

        Eventually.True(() => net.Nodes[1].Inbox.Count == 1, "block delivered", TimeSpan.FromSeconds(60));
        var got = net.Nodes[1].Inbox.Items[0].Message;
        Assert.Equal(SHA256.HashData(block), SHA256.HashData(got));
        Assert.Equal(block.Length, got.Length);
    }

    [Fact]
    public void Ten_thousand_small_messages_arrive_in_order_per_channel()
    {
        using var net = new TestNet(2).StartAll();
        net.WaitFullyConnected();
        var (a, b) = (net.Nodes[0], net.Nodes[1]);
        const int count = 10_000;

        for (var i = 0; i < count; i++)
        {
            var channel = i % 3 == 0 ? PeerChannel.Mempool : PeerChannel.Consensus;
            a.Network.Send(b.PublicKey, channel, BitConverter.GetBytes(i));
        }

        Eventually.True(() => b.Inbox.Count == count, "all messages delivered", TimeSpan.FromSeconds(60));
        foreach (var channel in new[] { PeerChannel.Consensus, PeerChannel.Mempool })
        {
            var sequence = b.Inbox.From(a.PublicKey, channel).Select(r => BitConverter.ToInt32(r.Message)).ToList();
            var expected = Enumerable.Range(0, count).Where(i => (i % 3 == 0) == (channel == PeerChannel.Mempool)).ToList();
            Assert.Equal(expected, sequence);
        }

        // Coalescing: far fewer LiteNetLib messages than application messages is not observable here without
        // timing; the counters at least agree.
        Assert.Equal(count, a.Network.Stats.MessagesSent);
        Assert.Equal(count, b.Network.Stats.MessagesReceived);
    }

    [Fact]
    public void Send_to_a_peer_that_is_not_connected_is_dropped_and_counted()
    {
        using var net = new TestNet(2);
        var a = net.Start(0);

        a.Network.Send(net.Validators[1].Key, PeerChannel.Consensus, [1]);
        a.Network.Broadcast(PeerChannel.Consensus, [1]);

        Assert.Equal(1, a.Network.Stats.NotConnectedDropped);
        Assert.Equal(0, a.Network.Stats.MessagesSent);
    }

    [Fact]
    public void An_outgoing_message_above_the_limit_is_dropped_and_counted()
    {
        using var net = new TestNet(2);
        var a = net.Start(0, o => o with { MaxMessageBytes = 1000 });
        net.Start(1);
        net.WaitFullyConnected();

        a.Network.Send(net.Nodes[1].PublicKey, PeerChannel.Consensus, new byte[1001]);
        a.Network.Send(net.Nodes[1].PublicKey, PeerChannel.Consensus, new byte[1000]);

        Eventually.True(() => net.Nodes[1].Inbox.Count == 1, "the message within the limit delivered");
        Assert.Equal(1000, net.Nodes[1].Inbox.Items[0].Message.Length);
        Assert.Equal(1, a.Network.Stats.OversizedDropped);
    }

    [Fact]
    public void Listen_port_zero_binds_a_free_port_and_dispose_is_idempotent()
    {
        using var key = Dkms.Core.Crypto.Ed25519Signer.Generate();
        var network = new PeerNetwork(new PeerNetworkOptions
        {
            ChainId = "c",
            NodeSigner = key,
            ListenAddress = "127.0.0.1:0",
            Validators = [new PeerAddress(key.PublicKey, "127.0.0.1:0")],
        }, Microsoft.Extensions.Logging.Abstractions.NullLogger<PeerNetwork>.Instance);
        network.Start();

        Assert.NotEqual(0, network.ListenPort);
        Assert.Empty(network.ConnectedPeers);
        network.Dispose();
        network.Dispose();
    }
}
