using System.Collections.Concurrent;
using System.Net;
using LiteNetLib;

namespace Dkms.Network;

/// <summary>
/// Everything the node keeps about one validator: its outgoing queues (filled by any thread, drained by the
/// network thread), its current authenticated connection and its dial schedule (network thread only).
/// </summary>
internal sealed class PeerSlot(PeerAddress address, TimeSpan initialBackoff)
{
    public PeerAddress Address { get; } = address;

    /// <summary>The slot of an observer that dialed this node: made when its session opens, gone when it closes, never
    /// dialed, and it hears only what is sent to it or to the observers (no broadcast, no mempool).</summary>
    public bool IsObserver { get; init; }

    /// <summary>One queue per <see cref="PeerChannel"/>, so order is kept per channel and consensus can go first.</summary>
    public ConcurrentQueue<byte[]>[] Queues { get; } = [new(), new()];

    /// <summary>Payload bytes waiting in <see cref="Queues"/>; bounded by the options.</summary>
    public long QueuedBytes;

    private volatile Connection? _active;

    /// <summary>The one authenticated connection to this validator, or null.</summary>
    public Connection? Active
    {
        get => _active;
        set => _active = value;
    }

    public long NextDialAt { get; set; }

    public TimeSpan Backoff { get; set; } = initialBackoff;

    /// <summary>Where to dial: the address itself for an IP literal, the last answer for a host name; network thread.</summary>
    public IPEndPoint? Endpoint { get; set; }

    /// <summary>A resolution of the slot's host name is under way (at most one at a time); network thread.</summary>
    public bool Resolving { get; set; }
}

/// <summary>One LiteNetLib connection, its handshake state and its secure session; network thread only.</summary>
internal sealed class Connection(NetPeer peer, long startedAt, HandshakeRole role, PeerSlot? dialed) : IDisposable
{
    public NetPeer Peer { get; } = peer;

    public long StartedAt { get; } = startedAt;

    /// <summary>Initiator when this node dialed the connection, responder when it accepted it.</summary>
    public HandshakeRole Role { get; } = role;

    /// <summary>For a dialed connection, the validator this node meant to reach; the answer must carry its key.</summary>
    public PeerSlot? Dialed { get; } = dialed;

    public byte[] OwnNonce { get; } = Handshake.NewNonce();

    private SecureSession? _session;

    /// <summary>Made on first use: the acceptor makes its ephemeral key only for a Hello that names a validator.</summary>
    public SecureSession Session => _session ??= new SecureSession();

    /// <summary>The other end's Hello, once it came.</summary>
    public Hello? TheirHello { get; set; }

    public byte[]? TheirNonce => TheirHello?.Nonce;

    public byte[] TranscriptHash { get; set; } = [];

    /// <summary>The other end asked for an observer session and this node had room for it at its Hello.</summary>
    public bool ObserverCandidate { get; set; }

    /// <summary>Set once the peer's Auth verified and it was found in the validator set (or took an observer slot).</summary>
    public PeerSlot? Slot { get; set; }

    public bool Authenticated => Slot is not null;

    public long Malformed { get; set; }

    public void Dispose() => _session?.Dispose();

    /// <summary>
    /// When both sides dialed and two connections authenticated, both keep the one with the smaller key: the
    /// two nonces in ascending order. Both ends see the same nonces, so they pick the same connection.
    /// </summary>
    public static int CompareForKeeping(Connection a, Connection b) => OrderKey(a).AsSpan().SequenceCompareTo(OrderKey(b));

    private static byte[] OrderKey(Connection c)
    {
        var theirs = c.TheirNonce ?? [];
        var first = c.OwnNonce.AsSpan().SequenceCompareTo(theirs) <= 0;
        return first ? [.. c.OwnNonce, .. theirs] : [.. theirs, .. c.OwnNonce];
    }
}
