using System.Collections.Concurrent;
using System.Net;
using Dkms.Core.Crypto;
using LiteNetLib;

namespace Dkms.Network.Tests;

/// <summary>
/// A bare LiteNetLib client that speaks whatever the test makes it say: garbage, a partial handshake, or a
/// correct handshake followed by broken frames.
/// </summary>
internal sealed class RawPeer : IDisposable
{
    private readonly NetManager _manager;
    private volatile NetPeer? _peer;
    private volatile bool _disconnected;

    /// <param name="bind">Source address (any 127.x.y.z on loopback); 127.0.0.1 by default.</param>
    public RawPeer(int port, bool dkmsTag = true, IPAddress? bind = null)
    {
        var listener = new EventBasedNetListener();
        listener.PeerConnectedEvent += p =>
        {
            _peer = p;
            WasConnected = true;
        };
        listener.PeerDisconnectedEvent += (_, info) =>
        {
            DisconnectReason = info.Reason.ToString();
            _disconnected = true;
        };
        listener.NetworkReceiveEvent += (_, reader, _, _) => Received.Enqueue(reader.PeekRemainingBytes());
        _manager = new NetManager(listener) { UnsyncedEvents = true, AutoRecycle = true, UpdateTime = 1 };
        _manager.Start(bind ?? IPAddress.Loopback, IPAddress.IPv6Any, 0);
        _manager.Connect(new IPEndPoint(IPAddress.Loopback, port), dkmsTag ? Wire.ConnectTag : "hello"u8);
    }

    public ConcurrentQueue<byte[]> Received { get; } = new();

    public bool Connected => _peer?.ConnectionState == ConnectionState.Connected && !_disconnected;

    public bool Disconnected => _disconnected;

    public bool WasConnected { get; private set; }

    /// <summary>LiteNetLib's reason for the disconnect, for failure messages.</summary>
    public string? DisconnectReason { get; private set; }

    public void Send(byte[] packet)
    {
        _peer!.Send(packet, DeliveryMethod.ReliableOrdered);
        _manager.TriggerUpdate();
    }

    /// <summary>Runs the handshake as <paramref name="key"/> once the node's Hello arrived.</summary>
    public void Authenticate(ISigner key, string chainId)
    {
        Eventually.True(() => Received.Any(p => p[0] == Wire.Hello), "the node's hello");
        Assert.True(Handshake.TryDecodeHello(Received.First(p => p[0] == Wire.Hello), out var theirs));
        var ours = Handshake.NewNonce();
        Send(Handshake.EncodeHello(ours));
        Send(Handshake.EncodeAuth(key, chainId, ours, theirs));
    }

    public void Dispose() => _manager.Stop();
}
