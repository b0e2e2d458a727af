using Dkms.Core.Primitives;

namespace Dkms.Network;

/// <summary>A validator the node may talk to: its node key and "host:port" P2P address (from the committed validator set).</summary>
public sealed record PeerAddress(PublicKey Key, string Address);
