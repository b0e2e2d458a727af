using Dkms.Core.Primitives;

namespace Dkms.Network;

/// <summary>A validator the node may talk to: its node key and "host:port" P2P address (from the genesis).</summary>
public sealed record PeerAddress(PublicKey Key, string Address);
