using Dkms.Core.Crypto;
using Dkms.Core.Primitives;
using Dkms.Node.Mempool;
using Dkms.Node.Networking;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dkms.Node.Tests.Mempool;

/// <summary>Issue 16: gossip received from peers waits in a queue with a share per peer, by count and bytes.</summary>
public sealed class GossipIntakeShareTests
{
    [Fact]
    public void A_peer_flooding_large_gossip_cannot_crowd_out_another_peers_gossip_and_queued_bytes_stay_bounded()
    {
        var hub = new InMemoryPeerHub();
        var self = Ed25519Signer.FromSeed(Hash32.Sha256("gossip-share-self"u8).ToArray()).PublicKey;
        var flooder = Ed25519Signer.FromSeed(Hash32.Sha256("gossip-share-flooder"u8).ToArray()).PublicKey;
        var honest = Ed25519Signer.FromSeed(Hash32.Sha256("gossip-share-honest"u8).ToArray()).PublicKey;
        using var link = hub.Join(self);
        // Not started: nothing is taken from the queue, as when the gossip task is busy admitting a large batch.
        using var gossip = new TransactionGossip(link, admit: null!, batchSize: 2_000, NullLogger<TransactionGossip>.Instance);
        var big = new byte[1024 * 1024];
        new Random(167).NextBytes(big);
        for (var i = 0; i < 2_000; i++) gossip.Receive(flooder, big);
        gossip.Receive(honest, [0x91, 0xc4, 0x01, 0x00]);

        Assert.Equal(1, gossip.QueuedMessagesOf(honest));
        Assert.InRange(gossip.QueuedBytes, 1, 64L * 1024 * 1024);
    }
}
