using Dkms.Consensus;
using Dkms.Core.Blocks;
using Dkms.Core.Crypto;
using Dkms.Core.Genesis;
using Dkms.Network;
using Microsoft.Extensions.Logging;

namespace Dkms.Node.Networking;

/// <summary>Creates the production peer link of a node from its settings and the genesis.</summary>
public static class PeerLinks
{
    /// <summary>A LiteNetLib link starting from the genesis validators (the node then hands it the committed set,
    /// <see cref="IPeerLink.UpdatePeers"/>). Binds <see cref="NodeSettings.P2PListen"/>, or
    /// by default all interfaces on the port of this node's genesis address.</summary>
    public static IPeerLink Create(NodeSettings settings, GenesisDocument genesis, ISigner nodeKey, ILoggerFactory loggers)
    {
        var listen = settings.P2PListen;
        var observer = settings.Observer.Enabled;
        if (listen.Length == 0)
        {
            var own = genesis.Validators.FirstOrDefault(v => v.Key == nodeKey.PublicKey)
                ?? throw new NodeConfigurationException($"node key {nodeKey.PublicKey} is not in the genesis; set P2PListen to run it anyway");
            GenesisDocument.TrySplitAddress(own.Address, out _, out var port);
            listen = $"0.0.0.0:{port}";
        }

        var options = new PeerNetworkOptions
        {
            ChainId = genesis.ChainId,
            NodeSigner = nodeKey,
            ListenAddress = listen,
            // An observer keeps the peers it was given (validators or observers); a validator starts from the genesis set.
            Validators = observer ? ObserverPeers.Parse(settings.Observer.Peers) : [.. genesis.Validators.Select(v => new PeerAddress(v.Key, v.Address))],
            Observer = observer,
            MaxObservers = settings.P2P.MaxObservers,
            ObserverKeys = ObserverPeers.AllowList(settings.P2P),
            MaxMessageBytes = MaxMessageBytesFor(genesis),
            MaxQueuedBytesPerPeer = (int)Math.Min(int.MaxValue, Math.Max(64L * 1024 * 1024, 4L * MaxMessageBytesFor(genesis))),
        };
        return new LiteNetPeerLink(new PeerNetwork(options, loggers.CreateLogger<PeerNetwork>()));
    }

    /// <summary>
    /// The largest peer message: a proposal or catch-up answer carrying a block at the genesis limits (its transactions,
    /// their framing, header and certificate). A smaller transport limit would drop a full block, so a full mempool would
    /// stop every round.
    /// </summary>
    public static int MaxMessageBytesFor(GenesisDocument genesis) =>
        (int)Math.Min(int.MaxValue / 4, IntakeBounds.MaxMessageBytes(new BlockLimits(genesis.Consensus.MaxBlockTransactions, genesis.Consensus.MaxBlockBytes)));
}
