namespace Dkms.Network.Tests;

/// <summary><see cref="PeerNetwork.UpdatePeers"/>: the allowed peers and the dial list change at run time.</summary>
public sealed class MembershipTests
{
    [Fact]
    public void A_peer_added_at_run_time_is_dialled_and_accepted()
    {
        using var net = new TestNet(4);
        var first = net.Validators.Take(3).ToArray();
        var nodes = Enumerable.Range(0, 3).Select(i => net.Start(i, o => o with { Validators = first })).ToList();
        var newcomer = net.Start(3);
        net.WaitFullyConnected(nodes);
        Eventually.Never(() => newcomer.Network.ConnectedPeers.Count > 0, "an unknown key was accepted", TimeSpan.FromSeconds(1));

        foreach (var n in nodes) n.Network.UpdatePeers(net.Validators);

        net.WaitFullyConnected();
        Assert.Equal(net.Validators.Where(v => v.Key != nodes[0].PublicKey), nodes[0].Network.Peers);
        nodes[0].Network.Send(newcomer.PublicKey, PeerChannel.Consensus, [7]);
        newcomer.Network.Broadcast(PeerChannel.Mempool, [8]);
        Eventually.True(() => newcomer.Inbox.From(nodes[0].PublicKey, PeerChannel.Consensus).Count == 1, "the newcomer got the message sent to it");
        Eventually.True(() => nodes.All(n => n.Inbox.From(newcomer.PublicKey, PeerChannel.Mempool).Count == 1), "the newcomer's broadcast reached everyone");
    }

    [Fact]
    public void A_peer_removed_at_run_time_loses_its_session_and_stays_refused()
    {
        using var net = new TestNet(4).StartAll();
        net.WaitFullyConnected();
        var removed = net.Nodes[3];
        var staying = net.Nodes.Take(3).ToList();
        var refusedBefore = staying.Sum(n => n.Network.Stats.RefusedHandshakes);

        foreach (var n in staying) n.Network.UpdatePeers(net.Validators.Take(3).ToArray());

        Eventually.True(() => removed.Network.ConnectedPeers.Count == 0, "the removed peer's sessions were closed");
        Assert.All(staying, n => Assert.DoesNotContain(removed.PublicKey, n.Network.ConnectedPeers));
        // It keeps redialling (its own list still names the others); every attempt is refused at the handshake.
        Eventually.True(() => staying.Sum(n => n.Network.Stats.RefusedHandshakes) > refusedBefore, "the removed peer's redial was refused");
        Eventually.Never(() => removed.Network.ConnectedPeers.Count > 0, "the removed peer got a session back", TimeSpan.FromSeconds(1.5));

        var received = staying.Sum(n => n.Inbox.Count);
        removed.Network.Broadcast(PeerChannel.Consensus, [1]);
        staying[0].Network.Send(removed.PublicKey, PeerChannel.Consensus, [2]);
        Eventually.Never(() => staying.Sum(n => n.Inbox.Count) > received || removed.Inbox.Count > 0, "a message crossed to or from the removed peer", TimeSpan.FromMilliseconds(500));
        Assert.True(staying[0].Network.Stats.NotConnectedDropped > 0);
        net.WaitFullyConnected(staying);
    }

    [Fact]
    public void A_peer_given_a_new_address_keeps_its_session()
    {
        using var net = new TestNet(3).StartAll();
        net.WaitFullyConnected();
        var (a, b) = (net.Nodes[0], net.Nodes[1]);
        var moved = net.Validators.Select(v => v.Key == b.PublicKey ? v with { Address = $"127.0.0.1:{FreePort.Next()}" } : v).ToArray();

        a.Network.UpdatePeers(moved);

        Eventually.True(() => a.Network.Peers.Single(p => p.Key == b.PublicKey).Address == moved[1].Address, "the new address was applied");
        Assert.Contains(b.PublicKey, a.Network.ConnectedPeers);
        a.Network.Send(b.PublicKey, PeerChannel.Consensus, [9]);
        Eventually.True(() => b.Inbox.From(a.PublicKey, PeerChannel.Consensus).Count == 1, "a message over the kept session");
    }

    [Fact]
    public void A_key_listed_twice_is_refused()
    {
        using var net = new TestNet(2);
        var node = net.Start(0);

        var twice = new[] { net.Validators[1], net.Validators[1] with { Address = "127.0.0.1:1" } };

        Assert.Throws<ArgumentException>(() => node.Network.UpdatePeers(twice));
        Assert.Throws<ArgumentException>(() => node.Network.UpdatePeers([net.Validators[1] with { Address = " " }]));
    }

    [Fact]
    public async Task Updates_racing_with_sends_from_many_threads_end_in_the_last_set_with_no_loop_error()
    {
        using var net = new TestNet(4).StartAll();
        net.WaitFullyConnected();
        var node = net.Nodes[0];
        var others = net.Validators.Skip(1).ToArray();
        using var stop = new CancellationTokenSource();

        var updaters = Enumerable.Range(0, 4).Select(t => Task.Run(() =>
        {
            var random = new Random(1000 + t);
            for (var i = 0; i < 200; i++)
            {
                node.Network.UpdatePeers([.. others.Where(_ => random.Next(2) == 0)]);
                if (i % 20 == 0) Thread.Sleep(1);
            }
        })).ToArray();
        var senders = Enumerable.Range(0, 2).Select(t => Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                node.Network.Broadcast(PeerChannel.Mempool, [(byte)t]);
                foreach (var o in others) node.Network.Send(o.Key, PeerChannel.Consensus, [(byte)t]);
            }
        })).ToArray();
        await Task.WhenAll(updaters);
        node.Network.UpdatePeers(net.Validators);
        stop.Cancel();
        await Task.WhenAll(senders);

        net.WaitFullyConnected();
        Assert.Equal(others, node.Network.Peers);
        Assert.Equal(0, node.Network.Stats.HandlerErrors);
        Assert.DoesNotContain(node.Log.Lines, l => l.Level >= Microsoft.Extensions.Logging.LogLevel.Error);
    }
}
