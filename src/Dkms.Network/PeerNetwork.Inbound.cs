using Dkms.Core.Primitives;
using LiteNetLib;
using Microsoft.Extensions.Logging;

namespace Dkms.Network;

/// <summary>The network thread: handshakes, incoming batches, closing connections.</summary>
public sealed partial class PeerNetwork
{
    /// <summary>The connection of a LiteNetLib peer; a new one (and our Hello) for a peer seen the first time.</summary>
    private Connection? GetOrAdd(NetPeer peer)
    {
        if (_connections.TryGetValue(peer, out var conn)) return conn;
        // Events of a peer we already closed may still sit in the inbox.
        if (peer.ConnectionState != ConnectionState.Connected) return null;
        // Accepted connections are registered by the admission; any other one was dialed here, for a known slot.
        var incoming = _admission.IsIncoming(peer);
        _dialed.Remove(peer, out var dialed);
        if (!incoming && dialed is null)
        {
            _logger.LogDebug("closing connection to {Endpoint}: neither accepted nor dialed by this node", peer.ToString());
            _manager.DisconnectPeer(peer);
            return null;
        }

        conn = new Connection(peer, _time.GetTimestamp(), incoming ? HandshakeRole.Responder : HandshakeRole.Initiator, incoming ? null : dialed);
        _connections.Add(peer, conn);
        Volatile.Write(ref _openConnections, _connections.Count);
        // The dialer speaks first; the acceptor answers a Hello that passed its checks (OnHello), so a connection
        // that never sends one costs it no key generation.
        if (conn.Role == HandshakeRole.Initiator) SendHello(conn);
        return conn;
    }

    private void SendHello(Connection conn)
    {
        conn.Peer.Send(Handshake.EncodeHello(conn.Role, conn.OwnNonce, conn.Session.EphemeralPublic, _self, AsksToObserve(conn)), DeliveryMethod.ReliableOrdered);
        _triggerUpdate = true;
    }

    /// <summary>An observer asks for an observer session on every connection it dials.</summary>
    private bool AsksToObserve(Connection conn) => _options.Observer && conn.Role == HandshakeRole.Initiator;

    private void OnPacket(NetPeer peer, byte[] data)
    {
        var conn = GetOrAdd(peer);
        if (conn is null) return;
        var type = data.Length > 0 ? data[0] : (byte)0;
        if (conn.Authenticated)
        {
            OnSealed(conn, data);
        }
        else if (type == Wire.Hello && conn.TheirHello is null)
        {
            OnHello(conn, data);
        }
        else if (type == Wire.Auth && conn.TheirHello is not null)
        {
            OnAuth(conn, data);
        }
        else
        {
            // Nothing but the handshake, in order, before authentication.
            Stats.Malformed(null);
            Refuse(conn, "not a handshake packet during the handshake", $"message type {type}");
        }
    }

    /// <summary>
    /// Checks the other end's claims as far as they can be checked before its signature — opposite roles, the key
    /// this node dialed, a validator's key — and answers (the acceptor with its own Hello first) with Auth over the
    /// transcript. A relay fails here: when
    /// it dialed both validators both are responders, and when it holds an address the key is not the dialed one.
    /// </summary>
    private void OnHello(Connection conn, byte[] data)
    {
        if (!Handshake.TryDecodeHello(data, out var hello))
        {
            Stats.Malformed(null);
            Refuse(conn, "malformed hello or other protocol version", null);
            return;
        }

        if (hello.Role == conn.Role)
        {
            Refuse(conn, hello.Role == HandshakeRole.Responder
                ? "both ends accepted this connection (a relay dialed both)"
                : "both ends dialed this connection (a relay holds an address)", hello.NodeKey.ToString());
            return;
        }

        if (conn.Dialed is { } dialed && hello.NodeKey != dialed.Address.Key)
        {
            Refuse(conn, "the dialed address answered with another key", $"dialed {dialed.Address.Key}, got {hello.NodeKey}");
            return;
        }

        if (hello.NodeKey == _self)
        {
            Refuse(conn, "peer uses this node's own key", hello.NodeKey.ToString());
            return;
        }

        if (!_slots.ContainsKey(hello.NodeKey))
        {
            if (!MayObserve(conn, hello, out var refusal))
            {
                Refuse(conn, refusal, hello.NodeKey.ToString());
                return;
            }

            conn.ObserverCandidate = true;
        }

        if (conn.Role == HandshakeRole.Responder) SendHello(conn);
        var own = new Hello(conn.Role, conn.OwnNonce, conn.Session.EphemeralPublic, _self, AsksToObserve(conn));
        var transcript = conn.Role == HandshakeRole.Initiator
            ? Handshake.TranscriptHash(_options.ChainId, own, hello)
            : Handshake.TranscriptHash(_options.ChainId, hello, own);
        if (!conn.Session.TryEstablish(hello.Ephemeral, conn.Role, transcript))
        {
            Refuse(conn, "unusable ephemeral key", hello.NodeKey.ToString());
            return;
        }

        conn.TheirHello = hello;
        conn.TranscriptHash = transcript;
        conn.Peer.Send(Handshake.EncodeAuth(_options.NodeSigner, conn.Role, transcript), DeliveryMethod.ReliableOrdered);
        _triggerUpdate = true;
    }

    private void OnAuth(Connection conn, byte[] data)
    {
        var theirs = conn.TheirHello!.Value;
        var key = theirs.NodeKey;
        if (!Handshake.VerifyAuth(data, key, theirs.Role, conn.TranscriptHash))
        {
            Refuse(conn, "handshake signature does not verify (other chain id, not the key's holder, or a relayed handshake)", key.ToString());
            return;
        }

        // Checked at Hello already; the set may have changed since.
        if (!_slots.TryGetValue(key, out var slot))
        {
            if (conn.ObserverCandidate) TakeObserverSlot(conn, key);
            else Refuse(conn, "key is not a validator", key.ToString());
            return;
        }

        _admission.Release(conn.Peer);
        Stats.SessionOpened();
        var existing = slot.Active;
        if (existing is not null && !Silent(existing) && Connection.CompareForKeeping(conn, existing) > 0)
        {
            // Both ends dialed; both keep the same one of the two (see CompareForKeeping). A silent existing session
            // is the peer's previous life (restarted at another source): the newcomer proved the key, so it wins;
            // a relay cannot authenticate, so it never gets here to displace a live session.
            _logger.LogDebug("dropping duplicate connection to {Peer} at {Endpoint}", key, conn.Peer.ToString());
            Close(conn);
            return;
        }

        conn.Slot = slot;
        slot.Active = conn;
        slot.Backoff = _options.ReconnectMinDelay;
        if (existing is not null)
        {
            _logger.LogDebug("replacing duplicate connection to {Peer} at {Endpoint}", key, existing.Peer.ToString());
            Close(existing);
        }

        PublishConnected();
        _logger.LogInformation("peer {Peer} connected at {Endpoint}", key, conn.Peer.ToString());
        NotifyConnected(key);
    }

    private void NotifyConnected(PublicKey key)
    {
        try
        {
            PeerConnected?.Invoke(key);
        }
        catch (Exception e)
        {
            Stats.HandlerError();
            _logger.LogError(e, "PeerConnected handler failed for {Peer}", key);
        }
    }

    /// <summary>
    /// Opens a packet of an authenticated session. One that does not open is dropped and counted, and closes the
    /// session: the stream is reliable and ordered, so a forged, replayed or out-of-order packet means someone
    /// injected into it, and a packet of the sender may be lost with it; both ends then make a fresh session.
    /// </summary>
    private void OnSealed(Connection conn, byte[] data)
    {
        var key = conn.Slot!.Address.Key;
        var result = conn.Session.Open(data);
        if (result != OpenResult.Ok)
        {
            Stats.Tampered(result);
            _sessionFaults.Log(conn.Peer.Address.ToString(), LogLevel.Warning, "closing session with {Peer} at {Endpoint}: a {Result} packet ({Bytes} bytes, type {Type})",
                key, conn.Peer.ToString(), result.ToString().ToLowerInvariant(), data.Length, data.Length > 0 ? data[0] : -1);
            Close(conn);
            return;
        }

        var contents = BatchReader.Read(data.AsSpan(SecureSession.HeaderSize, data.Length - SecureSession.HeaderSize - SecureSession.TagSize),
            _options.MaxMessageBytes);
        for (var i = 0; i < contents.Malformed; i++) BadMessage(conn, "malformed frame", oversized: false);
        for (var i = 0; i < contents.Oversized; i++) BadMessage(conn, "oversized frame", oversized: true);

        var handler = MessageReceived;
        var observer = conn.Slot.IsObserver;
        foreach (var frame in contents.Frames)
        {
            if (observer && frame.Channel != PeerChannel.Consensus)
            {
                Stats.ObserverMempoolDropped();
                continue;
            }

            Stats.Received(frame.Payload.Length);
            try
            {
                handler?.Invoke(key, frame.Channel, frame.Payload);
            }
            catch (Exception e)
            {
                Stats.HandlerError();
                _logger.LogError(e, "MessageReceived handler failed on a {Channel} message from {Peer}", frame.Channel, key);
            }
        }
    }

    /// <summary>Counts a bad message against an authenticated peer; too many close the connection.</summary>
    private void BadMessage(Connection conn, string reason, bool oversized)
    {
        var key = conn.Slot!.Address.Key;
        var total = oversized ? Stats.Oversized(key) : Stats.Malformed(key);
        conn.Malformed++;
        if (conn.Malformed <= 10 || conn.Malformed % 100 == 0)
        {
            _logger.LogWarning("dropped a message from {Peer}: {Reason} ({Count} so far)", key, reason, total);
        }

        if (conn.Malformed > MaxMalformedPerConnection && _connections.ContainsKey(conn.Peer))
        {
            _logger.LogWarning("closing connection to {Peer}: more than {Limit} bad messages", key, MaxMalformedPerConnection);
            Close(conn);
        }
    }

    /// <summary>Refuses a connection during the handshake; logged through the rate-limited refusal log.</summary>
    private void Refuse(Connection conn, string reason, string? detail)
    {
        Stats.Refused();
        _refusals.Refused(reason, conn.Peer.Address.ToString(), detail is null ? conn.Peer.ToString() : $"{conn.Peer}, {detail}");
        Close(conn);
    }

    /// <summary>Forgets the connection and disconnects it; a lost session is redialed after the slot's backoff.</summary>
    private void Close(Connection conn)
    {
        _connections.Remove(conn.Peer);
        Volatile.Write(ref _openConnections, _connections.Count);
        _admission.Release(conn.Peer);
        LeaveSlot(conn);
        conn.Dispose();
        _manager.DisconnectPeer(conn.Peer);
    }

    private void OnDisconnected(NetPeer peer, DisconnectReason reason)
    {
        _admission.Release(peer);
        _dialed.Remove(peer);
        if (!_connections.Remove(peer, out var conn)) return; // a failed dial, or one we closed ourselves
        Volatile.Write(ref _openConnections, _connections.Count);
        if (conn.Slot is { } slot && slot.Active == conn)
        {
            _logger.LogInformation("peer {Peer} at {Endpoint} disconnected: {Reason}", slot.Address.Key, peer.ToString(), reason);
        }

        LeaveSlot(conn);
        conn.Dispose();
    }

    private void LeaveSlot(Connection conn)
    {
        if (conn.Slot is not { } slot || slot.Active != conn) return;
        slot.Active = null;
        DropQueued(slot);
        if (slot.IsObserver)
        {
            LeaveObserverSlot(slot);
        }
        else
        {
            slot.NextDialAt = Later(slot.Backoff);
            PublishConnected();
        }

        try
        {
            PeerDisconnected?.Invoke(slot.Address.Key);
        }
        catch (Exception e)
        {
            Stats.HandlerError();
            _logger.LogError(e, "PeerDisconnected handler failed for {Peer}", slot.Address.Key);
        }
    }
}
