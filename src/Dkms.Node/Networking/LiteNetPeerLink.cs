using Dkms.Core.Primitives;
using Dkms.Network;

namespace Dkms.Node.Networking;

/// <summary>The node's peer link over the LiteNetLib transport (<see cref="PeerNetwork"/>).</summary>
public sealed class LiteNetPeerLink(PeerNetwork network) : IPeerLink
{
    public PeerNetwork Network { get; } = network;

    public Action<PublicKey, NodeChannel, byte[]>? MessageReceived
    {
        get => _received;
        set
        {
            _received = value;
            Network.MessageReceived = value is null ? null : (from, channel, message) => value(from, (NodeChannel)channel, message);
        }
    }

    private Action<PublicKey, NodeChannel, byte[]>? _received;

    public IReadOnlyList<PublicKey> ConnectedPeers => Network.ConnectedPeers;

    public Action<PublicKey>? PeerConnected
    {
        get => Network.PeerConnected;
        set => Network.PeerConnected = value;
    }

    public Action<PublicKey>? PeerDisconnected
    {
        get => Network.PeerDisconnected;
        set => Network.PeerDisconnected = value;
    }

    public void Start() => Network.Start();

    public void UpdatePeers(IReadOnlyList<PeerAddress> peers) => Network.UpdatePeers(peers);

    public void Send(PublicKey peer, NodeChannel channel, byte[] message) => Network.Send(peer, (PeerChannel)channel, message);

    public void Broadcast(NodeChannel channel, byte[] message) => Network.Broadcast((PeerChannel)channel, message);

    public void SendToObservers(NodeChannel channel, byte[] message) => Network.SendToObservers((PeerChannel)channel, message);

    public IReadOnlyList<PublicKey> ConnectedObservers => Network.ConnectedObservers;

    public void Dispose() => Network.Dispose();
}
