using Dkms.Core.Primitives;

namespace Dkms.Node.Networking;

/// <summary>Independent message streams between validators.</summary>
public enum NodeChannel : byte
{
    Consensus = 0,
    Mempool = 1,
}

/// <summary>
/// The node's connections to the other validators: authenticated peers named by their node key,
/// best-effort delivery per channel. LiteNetLib in production (LiteNetPeerLink), an
/// in-memory hub in tests (<see cref="InMemoryPeerHub"/>).
/// </summary>
public interface IPeerLink : IDisposable
{
    /// <summary>Called on a transport thread for each message from an authenticated peer.</summary>
    Action<PublicKey, NodeChannel, byte[]>? MessageReceived { get; set; }

    IReadOnlyList<PublicKey> ConnectedPeers { get; }

    /// <summary>Called on a transport thread when an authenticated session with a peer opens. A link whose peers are all
    /// there from the start (the in-memory hub) never calls it.</summary>
    Action<PublicKey>? PeerConnected
    {
        get => null;
        set { }
    }

    /// <summary>Called on a transport thread when the session with a peer closes.</summary>
    Action<PublicKey>? PeerDisconnected
    {
        get => null;
        set { }
    }

    /// <summary>
    /// Replaces the peers this node talks to (the committed validator set, see <see cref="ValidatorPeers"/>): new ones
    /// are dialled and accepted, removed ones lose their session and are refused from then on. Thread-safe; may be
    /// called before <see cref="Start"/>. This node's own key may be listed and is skipped.
    /// </summary>
    void UpdatePeers(IReadOnlyList<Dkms.Network.PeerAddress> peers);

    void Start();

    void Send(PublicKey peer, NodeChannel channel, byte[] message);

    void Broadcast(NodeChannel channel, byte[] message);

    /// <summary>Sends to every observer with a session at this node (docs/node.md, "Observers"); a link without observer
    /// sessions (the in-memory hub: every node there hears every broadcast) sends nothing.</summary>
    void SendToObservers(NodeChannel channel, byte[] message)
    {
    }

    /// <summary>Observers with a session at this node.</summary>
    IReadOnlyList<PublicKey> ConnectedObservers => [];
}
