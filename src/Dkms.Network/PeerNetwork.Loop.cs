using LiteNetLib;
using Microsoft.Extensions.Logging;

namespace Dkms.Network;

/// <summary>The network thread: inbox, flush, dials and timeouts.</summary>
public sealed partial class PeerNetwork
{
    /// <summary>Small messages are packed into batches up to this size (bytes); a bigger message goes alone.</summary>
    internal const int TargetBatchBytes = 64 * 1024;

    /// <summary>
    /// Packets (fragments) waiting in LiteNetLib's reliable queue of a peer above which we stop handing it
    /// more; the rest waits in our bounded per-peer queue. Without it LiteNetLib's own queue is unbounded.
    /// </summary>
    internal const int MaxLiteNetLibQueuedPackets = 8192;

    private static readonly TimeSpan HousekeepingInterval = TimeSpan.FromMilliseconds(50);

    private readonly Dictionary<NetPeer, Connection> _connections = new(ReferenceEqualityComparer.Instance);
    private bool _triggerUpdate;

    /// <summary>Test hook: connections the network thread holds, authenticated or not (read from another thread, a
    /// snapshot that may be a moment old), so a test moves its clock only after the node has taken a connection in.</summary>
    internal int OpenConnections => Volatile.Read(ref _openConnections);

    private int _openConnections;

    /// <summary>
    /// Test hook, network thread: sees every outgoing sealed packet as it would go on the wire and returns what is
    /// sent instead, so a test can forge, drop, replay, reorder or truncate packets of a live session.
    /// </summary>
    internal Func<byte[], IReadOnlyList<byte[]>>? OutgoingBatchFilter { get; set; }

    private void Run()
    {
        using var writer = new BatchWriter(TargetBatchBytes + BatchWriter.FrameHeaderSize + 1);
        var backlog = false;
        var nextHousekeeping = 0L;
        while (!_stopping)
        {
            // Woken by Send and by every LiteNetLib event; the timeout only drives housekeeping, or
            // retries a flush that LiteNetLib's full queue held back.
            _wake.WaitOne(backlog ? 1 : (int)HousekeepingInterval.TotalMilliseconds);
            if (_stopping) break;
            try
            {
                ApplyRequestedPeers();
                DrainResolved();
                DrainInbox();
                backlog = Flush(writer);
                var now = _time.GetTimestamp();
                if (now >= nextHousekeeping)
                {
                    Housekeeping(now);
                    nextHousekeeping = Later(HousekeepingInterval);
                }

                if (_triggerUpdate)
                {
                    _triggerUpdate = false;
                    _manager.TriggerUpdate(); // send now rather than on LiteNetLib's next tick
                }
            }
            catch (Exception e)
            {
                // Never let the loop die: a dead network thread is a silent partition.
                Stats.HandlerError();
                _logger.LogError(e, "p2p network loop turn failed");
            }
        }
    }

    private void Post(NetInput input)
    {
        _inbox.Enqueue(input);
        Wake();
    }

    private void DrainInbox()
    {
        while (_inbox.TryDequeue(out var input))
        {
            switch (input.Kind)
            {
                case NetInputKind.Connected:
                    GetOrAdd(input.Peer);
                    break;
                case NetInputKind.Disconnected:
                    OnDisconnected(input.Peer, input.Reason);
                    break;
                case NetInputKind.Received:
                    OnPacket(input.Peer, input.Data!);
                    break;
            }
        }
    }

    private bool Flush(BatchWriter writer)
    {
        var backlog = false;
        foreach (var slot in _observerList.Length == 0 ? _slotList : [.. _slotList, .. _observerList])
        {
            var conn = slot.Active;
            if (conn is null)
            {
                DropQueued(slot);
                continue;
            }

            if (slot.Queues[0].IsEmpty && slot.Queues[1].IsEmpty) continue;
            backlog |= FlushSlot(slot, conn, writer);
        }

        return backlog;
    }

    /// <summary>Packs the slot's queues into batches, consensus first; true when something is left for later.</summary>
    private bool FlushSlot(PeerSlot slot, Connection conn, BatchWriter writer)
    {
        writer.Reset();
        for (var channel = 0; channel < slot.Queues.Length; channel++)
        {
            var queue = slot.Queues[channel];
            while (queue.TryPeek(out var message))
            {
                if (writer.FrameCount > 0 && writer.Length + BatchWriter.FrameHeaderSize + message.Length > TargetBatchBytes)
                {
                    SendBatch(conn, writer);
                    writer.Reset();
                }

                if (writer.FrameCount == 0 && LiteNetLibBusy(conn.Peer)) return true;
                queue.TryDequeue(out _); // only this thread dequeues, so it is the peeked message
                Interlocked.Add(ref slot.QueuedBytes, -message.Length);
                writer.Add((PeerChannel)channel, message);
                Stats.Sent(message.Length);
            }
        }

        if (writer.FrameCount > 0) SendBatch(conn, writer);
        writer.Shrink(TargetBatchBytes);
        return false;
    }

    private void SendBatch(Connection conn, BatchWriter writer)
    {
        try
        {
            var length = conn.Session.Seal(writer.Buffer, writer.Length);
            if (OutgoingBatchFilter is { } filter)
            {
                foreach (var packet in filter(writer.Buffer[..length])) conn.Peer.Send(packet, DeliveryMethod.ReliableOrdered);
            }
            else
            {
                conn.Peer.Send(writer.Buffer.AsSpan(0, length), DeliveryMethod.ReliableOrdered);
            }

            _triggerUpdate = true;
        }
        catch (TooBigPacketException e)
        {
            // Cannot happen while MaxFragmentsCount covers MaxMessageBytes; keep going if it does.
            _logger.LogError(e, "batch of {Bytes} bytes too big for LiteNetLib", writer.Length);
        }
    }

    private static bool LiteNetLibBusy(NetPeer peer) =>
        peer.GetPacketsCountInReliableQueue(0, ordered: true) > MaxLiteNetLibQueuedPackets;

    private void DropQueued(PeerSlot slot)
    {
        var dropped = 0;
        foreach (var queue in slot.Queues)
        {
            while (queue.TryDequeue(out var message))
            {
                Interlocked.Add(ref slot.QueuedBytes, -message.Length);
                dropped++;
            }
        }

        if (dropped > 0) Stats.NotConnected(dropped);
    }

    private void Housekeeping(long now)
    {
        List<Connection>? expired = null;
        foreach (var conn in _connections.Values)
        {
            if (!conn.Authenticated && _time.GetElapsedTime(conn.StartedAt, now) > _options.HandshakeTimeout) (expired ??= []).Add(conn);
        }

        foreach (var conn in expired ?? [])
        {
            Stats.HandshakeTimeout();
            _refusals.Refused("handshake timed out", conn.Peer.Address.ToString(), conn.Peer.ToString());
            Close(conn);
        }

        AdmissionHousekeeping();
        Dial(now);
    }

    /// <summary>Dials every validator without a session whose backoff has passed (a host name is resolved anew off
    /// this thread at each attempt, and dialled at its last answer). Both ends dial; the handshake
    /// drops a duplicate. Connect to an endpoint LiteNetLib already knows returns that peer, so a redial while
    /// an attempt is under way is harmless.</summary>
    private void Dial(long now)
    {
        foreach (var slot in _slotList)
        {
            if (slot.Active is not null || now < slot.NextDialAt) continue;
            slot.NextDialAt = Later(slot.Backoff);
            slot.Backoff = TimeSpan.FromTicks(Math.Min(slot.Backoff.Ticks * 2, _options.ReconnectMaxDelay.Ticks));
            try
            {
                // A host name not answered yet is dialled when its resolution comes back.
                if (Locate(slot) is not { } endpoint) continue;
                NoteValidatorEndpoint(slot, endpoint);
                var peer = _manager.Connect(endpoint, Wire.ConnectTag);
                Stats.Dialed();
                if (peer is not null) _dialed[peer] = slot;
                if (_logger.IsEnabled(LogLevel.Debug))
                {
                    _logger.LogDebug("dialing {Peer} at {Address}; next attempt in {Delay}", slot.Address.Key, slot.Address.Address, slot.Backoff);
                }
            }
            catch (Exception e) when (e is FormatException or System.Net.Sockets.SocketException or ArgumentException or InvalidOperationException)
            {
                _logger.LogWarning("cannot dial {Peer} at {Address}: {Error}", slot.Address.Key, slot.Address.Address, e.Message);
            }
        }
    }

    private long Later(TimeSpan delay) => _time.GetTimestamp() + (long)(delay.TotalSeconds * _time.TimestampFrequency);

    private void PublishConnected() => _connected = [.. _slotList.Where(s => s.Active is not null).Select(s => s.Address.Key)];

    // ---- LiteNetLib threads: copy the event out and wake the network thread; never throw back into LiteNetLib.

    private void OnReceive(NetPeer peer, NetPacketReader reader, byte channel, DeliveryMethod method)
    {
        try
        {
            Heard(peer);
            if (!WithinHandshakeSize(peer, reader.AvailableBytes))
            {
                Stats.PreAuthOversized();
                return;
            }

            Post(new NetInput(NetInputKind.Received, peer, reader.PeekRemainingBytes()));
        }
        catch (Exception e)
        {
            _logger.LogError(e, "receive from {Endpoint} failed", peer.ToString());
        }
    }

    /// <summary>
    /// LiteNetLib's receive thread, before the packet is copied: a peer's first <see cref="HandshakePackets"/> packets are
    /// its Hello and Auth, so a bigger one comes from a connection that is not authenticated and is dropped. Counted
    /// here rather than on the network thread, which may not yet have read the Auth when the first batch arrives.
    /// </summary>
    private static bool WithinHandshakeSize(NetPeer peer, int bytes)
    {
        var gate = GateOf(peer);
        if (gate.Packets >= HandshakePackets) return true;
        if (bytes > Handshake.MaxPacketSize) return false;
        gate.Packets++;
        return true;
    }

    /// <summary>Packets a peer sends before its session: its Hello and its Auth.</summary>
    private const int HandshakePackets = 2;

    /// <summary>LiteNetLib's threads: notes on this network's clock that the peer was heard (a packet, or the pong of a keepalive).</summary>
    private void Heard(NetPeer peer) => Volatile.Write(ref GateOf(peer).LastHeard, _time.GetTimestamp());

    /// <summary>Nothing heard for two keepalive intervals of this network's clock: the other end is most likely gone.
    /// Read on the network thread; the stamp is written by LiteNetLib's threads.</summary>
    private bool Silent(Connection conn) =>
        _time.GetElapsedTime(Volatile.Read(ref GateOf(conn.Peer).LastHeard)) > 2 * KeepaliveInterval;

    private static readonly Lock GateLock = new();

    /// <summary>The peer's gate, made once: the receive thread and the keepalive event may ask at the same time.</summary>
    private static ReceiveGate GateOf(NetPeer peer)
    {
        if (peer.Tag is ReceiveGate gate) return gate;
        lock (GateLock) return peer.Tag as ReceiveGate ?? (ReceiveGate)(peer.Tag = new ReceiveGate());
    }

    /// <summary>Per LiteNetLib peer. <see cref="Packets"/> is touched only by LiteNetLib's receive thread.</summary>
    private sealed class ReceiveGate
    {
        public int Packets;

        /// <summary>When the peer was last heard (a timestamp of the network's <see cref="TimeProvider"/>).</summary>
        public long LastHeard;
    }

    private void OnNetworkError(string? endpoint, System.Net.Sockets.SocketError error)
    {
        Stats.SocketError();
        if (_logger.IsEnabled(LogLevel.Debug)) _logger.LogDebug("socket error {Error} with {Endpoint}", error, endpoint);
    }
}
