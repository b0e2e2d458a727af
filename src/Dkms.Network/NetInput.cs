using LiteNetLib;

namespace Dkms.Network;

internal enum NetInputKind
{
    Connected,
    Disconnected,
    Received,
}

/// <summary>A LiteNetLib event, copied out of its thread into the network thread's inbox.</summary>
internal readonly record struct NetInput(NetInputKind Kind, NetPeer Peer, byte[]? Data, DisconnectReason Reason = default);
