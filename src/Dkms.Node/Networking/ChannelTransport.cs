using Dkms.Consensus;
using Dkms.Core.Primitives;

namespace Dkms.Node.Networking;

/// <summary>The consensus engine's transport: one channel of the node's peer link.</summary>
public sealed class ChannelTransport(IPeerLink link, NodeChannel channel) : ITransport
{
    public void Send(PublicKey peer, byte[] message) => link.Send(peer, channel, message);

    public void Broadcast(byte[] message) => link.Broadcast(channel, message);
}
