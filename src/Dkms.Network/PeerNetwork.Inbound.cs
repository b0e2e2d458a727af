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
        conn = new Connection(peer, _time.GetTimestamp());
        _connections.Add(peer, conn);
        peer.Send(Handshake.EncodeHello(conn.OwnNonce), DeliveryMethod.ReliableOrdered);
        _triggerUpdate = true;
        return conn;
    }

    private void OnPacket(NetPeer peer, byte[] data)
    {
        var conn = GetOrAdd(peer);
        if (conn is null) return;
        var type = data.Length > 0 ? data[0] : (byte)0;
        if (type == Wire.Batch && conn.Authenticated)
        {
            OnBatch(conn, data);
        }
        else if (type == Wire.Hello && !conn.Authenticated && conn.TheirNonce is null)
        {
            if (!Handshake.TryDecodeHello(data, out var nonce))
            {
                Stats.Malformed(null);
                Refuse(conn, "malformed hello", null);
                return;
            }

            conn.TheirNonce = nonce;
            peer.Send(Handshake.EncodeAuth(_options.NodeSigner, _options.ChainId, conn.OwnNonce, nonce), DeliveryMethod.ReliableOrdered);
            _triggerUpdate = true;
        }
        else if (type == Wire.Auth && !conn.Authenticated && conn.TheirNonce is not null)
        {
            OnAuth(conn, data);
        }
        else if (!conn.Authenticated)
        {
            // Nothing but the handshake, in order, before authentication.
            Stats.Malformed(null);
            Refuse(conn, $"message type {type} during the handshake", null);
        }
        else
        {
            BadMessage(conn, $"unexpected message type {type}", oversized: false);
        }
    }

    private void OnAuth(Connection conn, byte[] data)
    {
        if (!Handshake.TryVerifyAuth(data, _options.ChainId, conn.OwnNonce, conn.TheirNonce, out var key))
        {
            Refuse(conn, "handshake signature does not verify (other chain id or not the key's holder)", key);
            return;
        }

        if (key == _self || !_slots.TryGetValue(key, out var slot))
        {
            Refuse(conn, key == _self ? "peer uses this node's own key" : "key is not a validator", key);
            return;
        }

        var existing = slot.Active;
        if (existing is not null && Connection.CompareForKeeping(conn, existing) > 0)
        {
            // Both ends dialed; both keep the same one of the two (see CompareForKeeping).
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
    }

    private void OnBatch(Connection conn, byte[] data)
    {
        var key = conn.Slot!.Address.Key;
        var contents = BatchReader.Read(data, _options.MaxMessageBytes);
        for (var i = 0; i < contents.Malformed; i++) BadMessage(conn, "malformed frame", oversized: false);
        for (var i = 0; i < contents.Oversized; i++) BadMessage(conn, "oversized frame", oversized: true);

        var handler = MessageReceived;
        foreach (var frame in contents.Frames)
        {
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

    private void Refuse(Connection conn, string reason, PublicKey? key)
    {
        Stats.Refused();
        _logger.LogWarning("refused peer {Endpoint} with key {Key}: {Reason}", conn.Peer.ToString(), key?.ToString() ?? "(none)", reason);
        Close(conn);
    }

    /// <summary>Forgets the connection and disconnects it; a lost session is redialed after the slot's backoff.</summary>
    private void Close(Connection conn)
    {
        _connections.Remove(conn.Peer);
        LeaveSlot(conn);
        _manager.DisconnectPeer(conn.Peer);
    }

    private void OnDisconnected(NetPeer peer, DisconnectReason reason)
    {
        if (!_connections.Remove(peer, out var conn)) return; // a failed dial, or one we closed ourselves
        if (conn.Slot is { } slot && slot.Active == conn)
        {
            _logger.LogInformation("peer {Peer} at {Endpoint} disconnected: {Reason}", slot.Address.Key, peer.ToString(), reason);
        }

        LeaveSlot(conn);
    }

    private void LeaveSlot(Connection conn)
    {
        if (conn.Slot is not { } slot || slot.Active != conn) return;
        slot.Active = null;
        slot.NextDialAt = Later(slot.Backoff);
        DropQueued(slot);
        PublishConnected();
    }
}
