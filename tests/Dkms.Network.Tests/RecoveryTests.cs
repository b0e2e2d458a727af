using Microsoft.Extensions.Time.Testing;

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
    public void An_absent_validator_is_redialed_after_a_backoff_that_doubles_up_to_its_cap_and_connects_when_it_comes()
    {
        var clock = new FakeTimeProvider();
        using var net = new TestNet(2, time: clock);
        var (min, max) = (TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(4));
        var early = net.Start(0, o => o with { ReconnectMinDelay = min, ReconnectMaxDelay = max });
        Eventually.True(() => early.Network.Stats.Dials == 1, "the early node dialed the absent one at start");

        // Waits of 1, 2, 4 and then 4 s again (the cap): no dial a moment before each, one at it.
        var dials = 1L;
        foreach (var wait in new[] { min, 2 * min, max, max })
        {
            clock.Advance(wait - Step);
            Eventually.Never(() => early.Network.Stats.Dials > dials, $"redialed before the backoff of {wait} had passed", Settle);
            clock.Advance(Step);
            dials++;
            Eventually.True(() => early.Network.Stats.Dials == dials, $"redialed once the backoff of {wait} had passed");
        }

        // This node never dials: only the early one's next attempt can bring the two together.
        var late = net.Start(1, o => o with { Validators = [o.Validators[1], o.Validators[0] with { Address = "127.0.0.1:1" }] });
        clock.Advance(max);
        net.WaitFullyConnected();
        Assert.Contains(early.PublicKey, late.Network.ConnectedPeers);
    }

    [Fact]
    public void A_validator_that_crashed_and_came_back_from_another_port_keeps_its_first_new_session()
    {
        var clock = new FakeTimeProvider();
        using var net = new TestNet(2, time: clock);
        var survivor = net.Start(0);
        for (var restart = 0; restart < 4; restart++)
        {
            var crashed = net.Start(1);
            net.WaitFullyConnected([survivor, crashed]);
            // No disconnect message: the survivor keeps the dead session. Two keepalive intervals without a word on
            // its clock make that session silent, so a newcomer proving the key replaces it.
            crashed.Network.Crash();
            clock.Advance(2 * PeerNetwork.KeepaliveInterval + Step);
            Assert.Contains(crashed.PublicKey, survivor.Network.ConnectedPeers);

            var back = net.StartWith(net.Keys[1], $"127.0.0.1:{FreePort.Next()}");
            Eventually.True(() => back.Network.ConnectedPeers.Contains(survivor.PublicKey), "the restarted node got a session");
            // The restarted node may count its session a moment before the survivor has read its half of the handshake
            // and closed the dead one: wait for both ends to settle, then check that nothing changes.
            Eventually.True(() => survivor.Network.OpenConnections == 1 && back.Network.OpenConnections == 1, "the survivor dropped the dead session");
            // The survivor kept the newcomer rather than the dead session: one session, not a closed one and a redial.
            Eventually.Never(() => back.Network.Stats.SessionsOpened != 1 || survivor.Network.OpenConnections != 1,
                "the survivor closed the newcomer's session or kept the dead one", Settle);
            back.Network.Dispose();
            Eventually.True(() => survivor.Network.ConnectedPeers.Count == 0, "the restarted node left cleanly");
        }
    }

    /// <summary>A step of the fake clock no smaller than the network's housekeeping interval, which gates its timers.</summary>
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(50);

    /// <summary>Real time for the network thread to act on a clock step (it turns at least every housekeeping interval).</summary>
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(300);
}
