using Dkms.Core.Primitives;

namespace Dkms.Consensus;

/// <summary>
/// Peers, named by their validator key. Delivery is best effort: messages may be lost, duplicated,
/// delayed or reordered; the engine re-broadcasts and catches up to cope. Incoming messages are handed
/// to <see cref="ConsensusDriver.Deliver"/> by whoever owns the transport.
/// </summary>
public interface ITransport
{
    void Send(PublicKey peer, byte[] message);

    /// <summary>To every peer except this node.</summary>
    void Broadcast(byte[] message);
}
