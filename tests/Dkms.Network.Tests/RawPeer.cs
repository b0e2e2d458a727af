using System.Collections.Concurrent;
using System.Net;
using Dkms.Core.Crypto;
using Dkms.Core.Primitives;
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

    /// <summary>The session of <see cref="Authenticate"/>, for <see cref="SendFrames"/>.</summary>
    public SecureSession? Session { get; private set; }

    /// <summary>Runs the handshake as <paramref name="key"/>, the dialer: Hello, then Auth once the node's Hello arrived.</summary>
    public void Authenticate(ISigner key, string chainId, PublicKey nodeKey)
    {
        Eventually.True(() => Connected, "raw client connected");
        Session = new SecureSession();
        var ours = new Hello(HandshakeRole.Initiator, Handshake.NewNonce(), Session.EphemeralPublic, key.PublicKey);
        Send(Handshake.EncodeHello(ours.Role, ours.Nonce, ours.Ephemeral, ours.NodeKey));
        Eventually.True(() => Received.Any(p => p[0] == Wire.Hello), "the node's hello");
        Assert.True(Handshake.TryDecodeHello(Received.First(p => p[0] == Wire.Hello), out var theirs));
        Assert.Equal((HandshakeRole.Responder, nodeKey), (theirs.Role, theirs.NodeKey));
        var transcript = Handshake.TranscriptHash(chainId, ours, theirs);
        Assert.True(Session.TryEstablish(theirs.Ephemeral, HandshakeRole.Initiator, transcript));
        Send(Handshake.EncodeAuth(key, HandshakeRole.Initiator, transcript));
    }

    /// <summary>Seals raw frame bytes (well-formed or not) as the next packet of the session and sends it.</summary>
    public void SendFrames(byte[] frames)
    {
        var buffer = new byte[SecureSession.HeaderSize + frames.Length + SecureSession.TagSize];
        frames.CopyTo(buffer, SecureSession.HeaderSize);
        var length = Session!.Seal(buffer, SecureSession.HeaderSize + frames.Length);
        Send(buffer[..length]);
    }

    public void Dispose()
    {
        Session?.Dispose();
        _manager.Stop();
    }
}
