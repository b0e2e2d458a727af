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
    private long _preAuthOversizedDropped;
    private long _queueFullDropped;
    private long _notConnectedDropped;
    private long _refusedHandshakes;
    private long _handshakeTimeouts;
    private long _handlerErrors;
    private long _sessionsOpened;
    private long _dials;
    private long _forgedDropped;
    private long _replayedDropped;
    private long _reorderedDropped;
    private long _refusedPendingFromSource;
    private long _refusedRateFromSource;
    private long _refusedPendingTotal;
    private long _refusedRateTotal;
    private long _refusedTooManySources;
    private long _socketErrors;
    private long _observerRefused;
    private long _observerMempoolDropped;
    private long _observerSessions;

    /// <summary>Observers refused because every observer place was taken (<see cref="PeerNetworkOptions.MaxObservers"/>).</summary>
    public long ObserversRefused => Volatile.Read(ref _observerRefused);

    /// <summary>Mempool frames from observer sessions, dropped unread (an observer takes and relays no transactions).</summary>
    public long ObserverMempoolDroppedCount => Volatile.Read(ref _observerMempoolDropped);

    /// <summary>Observer sessions open now.</summary>
    public long ObserverSessions => Volatile.Read(ref _observerSessions);

    internal void ObserverRefused() => Interlocked.Increment(ref _observerRefused);

    internal void ObserverMempoolDropped() => Interlocked.Increment(ref _observerMempoolDropped);

    internal void SetObserverSessions(int count) => Volatile.Write(ref _observerSessions, count);

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

    /// <summary>Packets larger than any handshake message from a connection still in its handshake, dropped on receipt.</summary>
    public long PreAuthOversizedDropped => Volatile.Read(ref _preAuthOversizedDropped);

    /// <summary>Outgoing messages dropped because the peer's queue was at <see cref="PeerNetworkOptions.MaxQueuedBytesPerPeer"/>.</summary>
    public long QueueFullDropped => Volatile.Read(ref _queueFullDropped);

    /// <summary>Outgoing messages to a peer that had no authenticated connection (or lost it before the flush).</summary>
    public long NotConnectedDropped => Volatile.Read(ref _notConnectedDropped);

    /// <summary>
    /// Connections refused: unknown key, bad signature (e.g. other chain), own key, wrong protocol, a relayed
    /// handshake, or a limit at connect time (also counted by the Refused* counters below).
    /// </summary>
    public long RefusedHandshakes => Volatile.Read(ref _refusedHandshakes);

    public long HandshakeTimeouts => Volatile.Read(ref _handshakeTimeouts);

    /// <summary>Exceptions thrown by a <see cref="PeerNetwork.MessageReceived"/> handler or caught in the network loop.</summary>
    public long HandlerErrors => Volatile.Read(ref _handlerErrors);

    /// <summary>Connection attempts this node started towards validators (first dials and redials after backoff).</summary>
    public long Dials => Volatile.Read(ref _dials);

    /// <summary>Handshakes that authenticated (each makes a fresh secure session, including duplicates then dropped).</summary>
    public long SessionsOpened => Volatile.Read(ref _sessionsOpened);

    /// <summary>Packets of a session that did not authenticate under its keys (altered, truncated, injected); each closed its session.</summary>
    public long ForgedDropped => Volatile.Read(ref _forgedDropped);

    /// <summary>Authentic packets of a session arriving a second time; each closed its session.</summary>
    public long ReplayedDropped => Volatile.Read(ref _replayedDropped);

    /// <summary>Authentic packets of a session arriving ahead of the next expected counter; each closed its session.</summary>
    public long ReorderedDropped => Volatile.Read(ref _reorderedDropped);

    /// <summary>Connection requests refused because their source address had its pending handshakes.</summary>
    public long RefusedPendingFromSource => Volatile.Read(ref _refusedPendingFromSource);

    /// <summary>Connection requests refused because their source address opened connections too fast.</summary>
    public long RefusedRateFromSource => Volatile.Read(ref _refusedRateFromSource);

    /// <summary>Connection requests refused because sources without a validator held all their pending handshakes together.</summary>
    public long RefusedPendingTotal => Volatile.Read(ref _refusedPendingTotal);

    /// <summary>Connection requests refused because sources without a validator together opened connections too fast.</summary>
    public long RefusedRateTotal => Volatile.Read(ref _refusedRateTotal);

    /// <summary>Connection requests refused because too many source addresses were being tracked.</summary>
    public long RefusedTooManySources => Volatile.Read(ref _refusedTooManySources);

    /// <summary>Socket errors LiteNetLib reported (e.g. an ICMP unreachable for a datagram sent); logged at Debug only.</summary>
    public long SocketErrors => Volatile.Read(ref _socketErrors);

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

    internal void PreAuthOversized() => Interlocked.Increment(ref _preAuthOversizedDropped);

    internal void QueueFull() => Interlocked.Increment(ref _queueFullDropped);

    internal void NotConnected(int count = 1) => Interlocked.Add(ref _notConnectedDropped, count);

    internal void Refused() => Interlocked.Increment(ref _refusedHandshakes);

    internal void SocketError() => Interlocked.Increment(ref _socketErrors);

    internal void HandshakeTimeout() => Interlocked.Increment(ref _handshakeTimeouts);

    internal void HandlerError() => Interlocked.Increment(ref _handlerErrors);

    internal void SessionOpened() => Interlocked.Increment(ref _sessionsOpened);

    internal void Dialed() => Interlocked.Increment(ref _dials);

    internal void Tampered(OpenResult result)
    {
        switch (result)
        {
            case OpenResult.Replayed:
                Interlocked.Increment(ref _replayedDropped);
                break;
            case OpenResult.Reordered:
                Interlocked.Increment(ref _reorderedDropped);
                break;
            default:
                Interlocked.Increment(ref _forgedDropped);
                break;
        }
    }

    internal void RefusedAtAdmission(AdmissionVerdict verdict)
    {
        switch (verdict)
        {
            case AdmissionVerdict.TooManyPendingFromSource:
                Interlocked.Increment(ref _refusedPendingFromSource);
                break;
            case AdmissionVerdict.TooFastFromSource:
                Interlocked.Increment(ref _refusedRateFromSource);
                break;
            case AdmissionVerdict.TooManyPending:
                Interlocked.Increment(ref _refusedPendingTotal);
                break;
            case AdmissionVerdict.TooFastOverall:
                Interlocked.Increment(ref _refusedRateTotal);
                break;
            default:
                Interlocked.Increment(ref _refusedTooManySources);
                break;
        }
    }
}
