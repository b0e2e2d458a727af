namespace Dkms.Network.Tests;

public sealed class RecoveryTests
{
    [Fact]
    public void A_restarted_validator_is_reconnected_and_heard_again()
    {
        using var net = new TestNet(4).StartAll();
        net.WaitFullyConnected();
        var gone = net.Nodes[3];

        gone.Network.Dispose();
        net.Nodes.Remove(gone);
        Eventually.True(() => net.Nodes.All(n => !n.Network.ConnectedPeers.Contains(gone.PublicKey)), "the others saw it leave");

        var back = net.Start(3);
        net.WaitFullyConnected();
        net.Nodes[0].Network.Broadcast(PeerChannel.Mempool, [5]);
        back.Network.Broadcast(PeerChannel.Consensus, [6]);

        Eventually.True(() => back.Inbox.Count == 1, "the restarted node hears the others");
        foreach (var n in net.Nodes.Take(3))
        {
            Eventually.True(() => n.Inbox.From(back.PublicKey, PeerChannel.Consensus).Count == 1, "the others hear the restarted node");
        }
    }

    [Fact]
    public void A_validator_started_late_is_dialed_with_backoff_and_connects()
    {
        using var net = new TestNet(2);
        var early = net.Start(0, o => o with { ReconnectMinDelay = TimeSpan.FromMilliseconds(50), ReconnectMaxDelay = TimeSpan.FromMilliseconds(400) });
        // Several failed dials first, counted rather than waited for: the backoff is what brings the two together below.
        Eventually.True(() => early.Network.Stats.Dials >= 3, "the early node dialed the absent one several times");

        // This node never dials: only the early one's backoff can bring them together.
        var late = net.Start(1, o => o with { Validators = [o.Validators[1], o.Validators[0] with { Address = "127.0.0.1:1" }] });

        net.WaitFullyConnected();
        Assert.Contains(early.PublicKey, late.Network.ConnectedPeers);
    }

    [Fact]
    public void A_validator_that_crashed_and_came_back_from_another_port_keeps_its_first_new_session()
    {
        using var net = new TestNet(2);
        var survivor = net.Start(0);
        for (var restart = 0; restart < 4; restart++)
        {
            var crashed = net.Start(1);
            net.WaitFullyConnected([survivor, crashed]);
            // No disconnect message: the survivor keeps the dead session until it hears nothing for a while.
            crashed.Network.Crash();
            Thread.Sleep(2 * PeerNetwork.KeepaliveInterval + TimeSpan.FromMilliseconds(500));
            Assert.Contains(crashed.PublicKey, survivor.Network.ConnectedPeers);

            var back = net.StartWith(net.Keys[1], $"127.0.0.1:{FreePort.Next()}");
            Eventually.True(() => back.Network.ConnectedPeers.Contains(survivor.PublicKey), "the restarted node got a session");
            Thread.Sleep(500);
            // The survivor kept the newcomer rather than the dead session: one session, not a closed one and a redial.
            Assert.Equal(1, back.Network.Stats.SessionsOpened);
            back.Network.Dispose();
            Eventually.True(() => survivor.Network.ConnectedPeers.Count == 0, "the restarted node left cleanly");
        }
    }
}
