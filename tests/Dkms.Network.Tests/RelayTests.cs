using Dkms.Adversary.OffPath;

namespace Dkms.Network.Tests;

/// <summary>
/// A man in the middle off the path opens connections to two validators and forwards their handshakes to each
/// other, hoping each accepts it as the other validator.
/// </summary>
public sealed class RelayTests
{
    private static readonly TimeSpan Watch = TimeSpan.FromSeconds(3);

    /// <summary>Port 1 on loopback refuses at once: a validator listed there is never reached directly.</summary>
    private const string Unreachable = "127.0.0.1:1";

    private static readonly byte[] InjectedPayload = [0x66, 0x66, 0x66];

    /// <summary>What the relay injects once the handshakes went through: one frame on the consensus channel.</summary>
    private static byte[] InjectedBatch() => HandshakeRelay.PlaintextBatch(InjectedPayload);

    [Fact]
    public void A_relay_between_two_validators_that_cannot_reach_each_other_connects_neither()
    {
        using var net = new TestNet(2);
        var quick = TimeSpan.FromSeconds(1.5);
        var a = net.Start(0, o => o with { Validators = [o.Validators[0], o.Validators[1] with { Address = Unreachable }], HandshakeTimeout = quick });
        var b = net.Start(1, o => o with { Validators = [o.Validators[0] with { Address = Unreachable }, o.Validators[1]], HandshakeTimeout = quick });

        using var relay = HandshakeRelay.Between(a.Network.ListenPort, b.Network.ListenPort);
        OpenIfSilent(relay);

        Eventually.Never(() =>
        {
            relay.Inject(InjectedBatch());
            return a.Network.ConnectedPeers.Count + b.Network.ConnectedPeers.Count > 0 || a.Inbox.Count + b.Inbox.Count > 0;
        }, "a validator accepted the relay as the other validator", Watch);
        Eventually.True(() => relay.BothClosed, "both validators closed the relay's connections");
    }

    [Fact]
    public void A_relay_holding_a_validators_address_is_accepted_by_neither_side()
    {
        // A dials V's address, where the relay listens; the relay dials B and forwards. A expects V there, B
        // expects A to have meant B.
        using var net = new TestNet(3);
        var vPort = int.Parse(net.Validators[2].Address.Split(':')[1], System.Globalization.CultureInfo.InvariantCulture);
        var quick = TimeSpan.FromSeconds(1.5);
        var a = net.Start(0, o => o with { Validators = [o.Validators[0], o.Validators[1] with { Address = Unreachable }, o.Validators[2]], HandshakeTimeout = quick });
        var b = net.Start(1, o => o with { Validators = [o.Validators[0] with { Address = Unreachable }, o.Validators[1], o.Validators[2] with { Address = Unreachable }], HandshakeTimeout = quick });

        using var relay = HandshakeRelay.AtAddress(vPort, b.Network.ListenPort);
        Eventually.True(() => relay.Forwarded > 0, "the relay saw the dial and forwarded a handshake");

        Eventually.Never(() =>
        {
            relay.Inject(InjectedBatch());
            return a.Network.ConnectedPeers.Count + b.Network.ConnectedPeers.Count > 0 || a.Inbox.Count + b.Inbox.Count > 0;
        }, "a validator accepted the relay", Watch);
    }

    [Fact]
    public void A_relay_does_not_displace_a_live_session_nor_get_heard()
    {
        using var net = new TestNet(2).StartAll();
        net.WaitFullyConnected();
        var (a, b) = (net.Nodes[0], net.Nodes[1]);
        using var pump = new MessagePump(a, b);

        // Each round is a fresh relay; a relay that got through would displace the session half the time.
        for (var round = 0; round < 5; round++)
        {
            using var relay = HandshakeRelay.Between(a.Network.ListenPort, b.Network.ListenPort);
            OpenIfSilent(relay);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (clock.Elapsed < TimeSpan.FromSeconds(1))
            {
                relay.Inject(InjectedBatch());
                Thread.Sleep(50);
            }
        }

        pump.StopAndDrain();
        Assert.DoesNotContain(a.Inbox.Items.Concat(b.Inbox.Items), r => r.Message.AsSpan().SequenceEqual(InjectedPayload));
        pump.AssertEverythingArrivedInOrder();
        Assert.Contains(b.PublicKey, a.Network.ConnectedPeers);
        Assert.Contains(a.PublicKey, b.Network.ConnectedPeers);
    }

    /// <summary>Gives the sides a moment to speak; when neither did, the relay opens with a stranger's Hello.</summary>
    private static void OpenIfSilent(HandshakeRelay relay)
    {
        Thread.Sleep(500);
        relay.OpenIfSilent();
    }
}

/// <summary>Sends numbered messages both ways between two nodes in the background, then checks none went missing.</summary>
internal sealed class MessagePump : IDisposable
{
    private readonly TestNode _a;
    private readonly TestNode _b;
    private readonly Thread _thread;
    private volatile bool _stop;
    private int _sent;

    public MessagePump(TestNode a, TestNode b)
    {
        (_a, _b) = (a, b);
        _thread = new Thread(Run) { IsBackground = true };
        _thread.Start();
    }

    public void StopAndDrain()
    {
        _stop = true;
        _thread.Join();
        Eventually.True(() => Numbered(_b, _a).Count >= _sent && Numbered(_a, _b).Count >= _sent, "every pumped message arrived");
    }

    public void AssertEverythingArrivedInOrder()
    {
        Assert.Equal(Enumerable.Range(0, _sent), Numbered(_b, _a));
        Assert.Equal(Enumerable.Range(0, _sent), Numbered(_a, _b));
    }

    public void Dispose()
    {
        _stop = true;
        _thread.Join();
    }

    private static List<int> Numbered(TestNode at, TestNode from) =>
        [.. at.Inbox.From(from.PublicKey, PeerChannel.Mempool).Select(r => BitConverter.ToInt32(r.Message))];

    private void Run()
    {
        while (!_stop)
        {
            _a.Network.Send(_b.PublicKey, PeerChannel.Mempool, BitConverter.GetBytes(_sent));
            _b.Network.Send(_a.PublicKey, PeerChannel.Mempool, BitConverter.GetBytes(_sent));
            _sent++;
            Thread.Sleep(10);
        }
    }
}
