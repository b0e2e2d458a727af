using System.Collections.Concurrent;
using Dkms.Core.Primitives;

namespace Dkms.Network;

/// <summary>
/// Live counters of a <see cref="PeerNetwork"/>, safe to read from any thread. "Messages" are application
/// messages (one per Send target or frame received); bytes count their payloads, not framing.
/// </summary>
public sealed class PeerNetworkStats
{
    private readonly ConcurrentDictionary<PublicKey, long> _malformedByPeer = new();
    private long _messagesSent;
    private long _bytesSent;
    private long _messagesReceived;
    private long _bytesReceived;
    private long _malformedDropped;
    private long _oversizedDropped;
    private long _queueFullDropped;
    private long _notConnectedDropped;
    private long _refusedHandshakes;
    private long _handshakeTimeouts;
    private long _handlerErrors;

    /// <summary>Messages handed to LiteNetLib for a peer.</summary>
    public long MessagesSent => Volatile.Read(ref _messagesSent);

    public long BytesSent => Volatile.Read(ref _bytesSent);

    /// <summary>Messages from authenticated peers handed to <see cref="PeerNetwork.MessageReceived"/>.</summary>
    public long MessagesReceived => Volatile.Read(ref _messagesReceived);

    public long BytesReceived => Volatile.Read(ref _bytesReceived);

    /// <summary>Packets or frames that did not parse (including anything but a handshake before authentication).</summary>
    public long MalformedDropped => Volatile.Read(ref _malformedDropped);

    /// <summary>Messages above <see cref="PeerNetworkOptions.MaxMessageBytes"/>, outgoing or incoming.</summary>
    public long OversizedDropped => Volatile.Read(ref _oversizedDropped);

    /// <summary>Outgoing messages dropped because the peer's queue was at <see cref="PeerNetworkOptions.MaxQueuedBytesPerPeer"/>.</summary>
    public long QueueFullDropped => Volatile.Read(ref _queueFullDropped);

    /// <summary>Outgoing messages to a peer that had no authenticated connection (or lost it before the flush).</summary>
    public long NotConnectedDropped => Volatile.Read(ref _notConnectedDropped);

    /// <summary>Connections refused: unknown key, bad signature (e.g. other chain), own key, wrong protocol.</summary>
    public long RefusedHandshakes => Volatile.Read(ref _refusedHandshakes);

    public long HandshakeTimeouts => Volatile.Read(ref _handshakeTimeouts);

    /// <summary>Exceptions thrown by a <see cref="PeerNetwork.MessageReceived"/> handler or caught in the network loop.</summary>
    public long HandlerErrors => Volatile.Read(ref _handlerErrors);

    /// <summary>Malformed or oversized messages from authenticated peers, by peer key, since the network started.</summary>
    public long MalformedFrom(PublicKey peer) => _malformedByPeer.TryGetValue(peer, out var n) ? n : 0;

    /// <summary>A snapshot of <see cref="MalformedFrom"/> for every peer that sent at least one bad message.</summary>
    public IReadOnlyDictionary<PublicKey, long> MalformedByPeer => new Dictionary<PublicKey, long>(_malformedByPeer);

    internal void Sent(int bytes)
    {
        Interlocked.Increment(ref _messagesSent);
        Interlocked.Add(ref _bytesSent, bytes);
    }

    internal void Received(int bytes)
    {
        Interlocked.Increment(ref _messagesReceived);
        Interlocked.Add(ref _bytesReceived, bytes);
    }

    /// <summary>Counts one malformed message; returns the peer's total (0 for an unauthenticated sender).</summary>
    internal long Malformed(PublicKey? peer)
    {
        Interlocked.Increment(ref _malformedDropped);
        return peer is { } key ? _malformedByPeer.AddOrUpdate(key, 1, (_, n) => n + 1) : 0;
    }

    internal long Oversized(PublicKey? peer)
    {
        Interlocked.Increment(ref _oversizedDropped);
        return peer is { } key ? _malformedByPeer.AddOrUpdate(key, 1, (_, n) => n + 1) : 0;
    }

    internal void QueueFull() => Interlocked.Increment(ref _queueFullDropped);

    internal void NotConnected(int count = 1) => Interlocked.Add(ref _notConnectedDropped, count);

    internal void Refused() => Interlocked.Increment(ref _refusedHandshakes);

    internal void HandshakeTimeout() => Interlocked.Increment(ref _handshakeTimeouts);

    internal void HandlerError() => Interlocked.Increment(ref _handlerErrors);
}
