using Dkms.Core.Crypto;

namespace Dkms.Network.Tests;

/// <summary>Observer sessions (docs/node.md, "Observers"): bounded apart from the validators, authenticated by the observer's
/// own key, never a validator's place, no mempool, and observers can serve each other.</summary>
public sealed class ObserverSessionTests
{
    private static Func<PeerNetworkOptions, PeerNetworkOptions> Accepting(int max, IReadOnlySet<Core.Primitives.PublicKey>? keys = null) =>
        o => o with { MaxObservers = max, ObserverKeys = keys };

    private static TestNode StartObserver(TestNet net, IReadOnlyList<PeerAddress> peers, int maxObservers = 0)
    {
        var key = Ed25519Signer.Generate();
        return net.StartWith(key, $"127.0.0.1:{FreePort.Next()}", o => o with { Observer = true, Validators = peers, MaxObservers = maxObservers });
    }

    [Fact]
    public void A_validator_accepts_observers_up_to_its_limit_apart_from_its_validators_and_refuses_the_next()
    {
        using var net = new TestNet(2);
        var v0 = net.Start(0, Accepting(2));
        var v1 = net.Start(1, Accepting(2));
        net.WaitFullyConnected([v0, v1]);
        var peers = new[] { net.Validators[0] };
        var o1 = StartObserver(net, peers);
        var o2 = StartObserver(net, peers);
        Eventually.True(() => v0.Network.ConnectedObservers.Count == 2, "two observers have sessions at the validator");

        var o3 = StartObserver(net, peers);
        Eventually.True(() => v0.Network.Stats.ObserversRefused > 0, "the third observer was refused: no place left");
        Eventually.Never(() => o3.Network.ConnectedPeers.Count > 0 || v0.Network.ConnectedObservers.Contains(o3.PublicKey),
            "the third observer got a session", TimeSpan.FromSeconds(1));
        // Observers never take or count as a validator's place.
        Assert.Equal([v1.PublicKey], v0.Network.ConnectedPeers);
        Assert.Contains(v0.PublicKey, o1.Network.ConnectedPeers);
        Assert.Contains(v0.PublicKey, o2.Network.ConnectedPeers);
        Assert.Equal(2, v0.Network.Stats.ObserverSessions);

        // One leaves: its place is free for the refused one (it keeps redialling).
        o1.Network.Dispose();
        Eventually.True(() => v0.Network.ConnectedObservers.Contains(o3.PublicKey), "the third observer got the freed place");
    }

    [Fact]
    public void An_observer_hears_only_what_is_sent_to_it_and_its_mempool_frames_are_dropped()
    {
        using var net = new TestNet(2);
        var v0 = net.Start(0, Accepting(4));
        var v1 = net.Start(1, Accepting(4));
        net.WaitFullyConnected([v0, v1]);
        var observer = StartObserver(net, [net.Validators[0]]);
        Eventually.True(() => v0.Network.ConnectedObservers.Contains(observer.PublicKey), "the observer has a session");

        v0.Network.Broadcast(PeerChannel.Consensus, [1]);
        v0.Network.SendToObservers(PeerChannel.Consensus, [2]);
        v0.Network.Send(observer.PublicKey, PeerChannel.Consensus, [3]);
        Eventually.True(() => observer.Inbox.From(v0.PublicKey, PeerChannel.Consensus).Count == 2, "the observer got what was sent to it");
        Assert.Equal([[2], [3]], observer.Inbox.From(v0.PublicKey, PeerChannel.Consensus).Select(r => r.Message));
        Eventually.True(() => v1.Inbox.From(v0.PublicKey, PeerChannel.Consensus).Count == 1, "the validator got the broadcast");

        observer.Network.Send(v0.PublicKey, PeerChannel.Mempool, [4]);
        observer.Network.Send(v0.PublicKey, PeerChannel.Consensus, [5]);
        Eventually.True(() => v0.Inbox.From(observer.PublicKey, PeerChannel.Consensus).Count == 1, "the observer's consensus message arrived");
        Eventually.True(() => v0.Network.Stats.ObserverMempoolDroppedCount == 1, "its mempool frame was dropped and counted");
        Assert.Empty(v0.Inbox.From(observer.PublicKey, PeerChannel.Mempool));
    }

    [Fact]
    public void An_unknown_key_without_the_observer_request_or_off_the_allow_list_is_refused()
    {
        using var net = new TestNet(1);
        var allowed = Ed25519Signer.Generate();
        var v0 = net.Start(0, Accepting(4, new HashSet<Core.Primitives.PublicKey> { allowed.PublicKey }));
        var stranger = net.StartWith(Ed25519Signer.Generate(), $"127.0.0.1:{FreePort.Next()}"); // dials as a validator would
        var unlisted = StartObserver(net, [net.Validators[0]]);
        var listed = net.StartWith(allowed, $"127.0.0.1:{FreePort.Next()}", o => o with { Observer = true, Validators = [net.Validators[0]] });

        Eventually.True(() => v0.Network.ConnectedObservers.Contains(listed.PublicKey), "the allowed observer has a session");
        Eventually.True(() => v0.Log.Lines.Any(l => l.Message.Contains("key is not an allowed observer")), "the unlisted observer was refused");
        Eventually.True(() => v0.Log.Lines.Any(l => l.Message.Contains("key is not a validator")), "the stranger was refused");
        Assert.Empty(stranger.Network.ConnectedPeers);
        Assert.Empty(unlisted.Network.ConnectedPeers);
        Assert.Equal([listed.PublicKey], v0.Network.ConnectedObservers);
        Assert.Empty(v0.Network.ConnectedPeers);
    }

    [Fact]
    public void An_observer_serves_another_observer()
    {
        using var net = new TestNet(1);
        var v0 = net.Start(0, Accepting(1));
        var first = StartObserver(net, [net.Validators[0]], maxObservers: 1);
        Eventually.True(() => v0.Network.ConnectedObservers.Contains(first.PublicKey), "the first observer has a session at the validator");
        var firstAddress = new PeerAddress(first.PublicKey, first.Network.ListenPort is var p ? $"127.0.0.1:{p}" : "");
        var second = StartObserver(net, [firstAddress]);

        Eventually.True(() => first.Network.ConnectedObservers.Contains(second.PublicKey), "the second observer has a session at the first");
        first.Network.SendToObservers(PeerChannel.Consensus, [9]);
        second.Network.Send(first.PublicKey, PeerChannel.Consensus, [10]);
        Eventually.True(() => second.Inbox.From(first.PublicKey, PeerChannel.Consensus).Count == 1, "the second heard the first");
        Eventually.True(() => first.Inbox.From(second.PublicKey, PeerChannel.Consensus).Count == 1, "the first heard the second");
        Assert.DoesNotContain(second.PublicKey, v0.Network.ConnectedObservers);
    }
}
