using System.Collections.Concurrent;
using System.Net;
using Dkms.Network;
using LiteNetLib;

namespace Dkms.Adversary.OffPath;

/// <summary>
/// A bare LiteNetLib client holding no key: it dials a node with the DKMS connect tag (or without it) and says
/// whatever it is told — garbage, a partial handshake, frames — and keeps what the node sends back.
/// </summary>
public class RawClient : IDisposable
{
    private readonly NetManager _manager;
    private volatile NetPeer? _peer;
    private volatile bool _disconnected;
    private volatile bool _wasConnected;
    private volatile string? _disconnectReason;

    /// <param name="target">The node's P2P endpoint.</param>
    /// <param name="dkmsTag">False dials without the protocol's connect tag, like a stray UDP client.</param>
    /// <param name="bind">Source address (any 127.x.y.z on Linux loopback); 127.0.0.1 by default.</param>
    public RawClient(IPEndPoint target, bool dkmsTag = true, IPAddress? bind = null)
    {
        var listener = new EventBasedNetListener();
        listener.PeerConnectedEvent += p =>
        {
            _peer = p;
            _wasConnected = true;
        };
        listener.PeerDisconnectedEvent += (_, info) =>
        {
            _disconnectReason = info.Reason.ToString();
            _disconnected = true;
        };
        listener.NetworkReceiveEvent += (_, reader, _, _) => Received.Enqueue(reader.PeekRemainingBytes());
        _manager = new NetManager(listener) { UnsyncedEvents = true, AutoRecycle = true, UpdateTime = 1 };
        if (!_manager.Start(bind ?? IPAddress.Loopback, IPAddress.IPv6Any, 0)) throw new InvalidOperationException($"cannot bind {bind ?? IPAddress.Loopback}");
        _manager.Connect(target, dkmsTag ? Wire.ConnectTag : "hello"u8);
    }

    /// <summary>Dials a node on loopback.</summary>
    public RawClient(int port, bool dkmsTag = true, IPAddress? bind = null)
        : this(new IPEndPoint(IPAddress.Loopback, port), dkmsTag, bind)
    {
    }

    /// <summary>Packets the node sent, in arrival order.</summary>
    public ConcurrentQueue<byte[]> Received { get; } = new();

    public bool Connected => _peer?.ConnectionState == ConnectionState.Connected && !_disconnected;

    public bool Disconnected => _disconnected;

    public bool WasConnected => _wasConnected;

    /// <summary>LiteNetLib's reason for the disconnect (e.g. RemoteConnectionClose when the node closed it).</summary>
    public string? DisconnectReason => _disconnectReason;

    /// <summary>True once the node sent a sealed packet: it took this connection for an authenticated session.</summary>
    public bool GotSession => Received.Any(p => p.Length > 0 && p[0] == Wire.Sealed);

    public void Send(byte[] packet)
    {
        var peer = _peer ?? throw new InvalidOperationException("not connected yet");
        peer.Send(packet, DeliveryMethod.ReliableOrdered);
        _manager.TriggerUpdate();
    }

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (disposing) _manager.Stop();
    }
}
