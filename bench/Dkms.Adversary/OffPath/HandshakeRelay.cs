using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using Dkms.Core.Crypto;
using Dkms.Core.Primitives;
using Dkms.Network;
using LiteNetLib;

namespace Dkms.Adversary.OffPath;

/// <summary>
/// A host off the path between two validators, holding no validator key (issue 16 #4). It gets one LiteNetLib
/// connection to each side — by dialing both, or by holding the address one side dials and dialing the other —
/// and forwards every packet one side sends to the other, so each side sees the other's real handshake. It can
/// also open the conversation itself and inject packets of its own. What it watches for: a side that sends it a
/// sealed packet took its connection for an authenticated session.
/// </summary>
public sealed class HandshakeRelay : IDisposable
{
    private readonly NetManager _manager;
    private readonly ConcurrentQueue<byte[]> _toLeft = new();
    private readonly ConcurrentQueue<byte[]> _toRight = new();
    private volatile NetPeer? _left;
    private volatile NetPeer? _right;
    private volatile IPEndPoint? _leftFrom;
    private volatile string? _leftClosedBecause;
    private volatile string? _rightClosedBecause;
    private int _forwarded;
    private int _injected;
    private int _leftSealed;
    private int _rightSealed;

    private HandshakeRelay(IPEndPoint bind)
    {
        var listener = new EventBasedNetListener();
        listener.ConnectionRequestEvent += r =>
        {
            // Holding a validator's address: whoever dials it first is the left side.
            if (_left is null)
            {
                _leftFrom = r.RemoteEndPoint;
                _left = r.Accept();
            }
            else
            {
                r.RejectForce();
            }
        };
        listener.NetworkReceiveEvent += (peer, reader, _, _) => OnReceive(peer, reader.PeekRemainingBytes());
        listener.PeerConnectedEvent += _ => Pump();
        listener.PeerDisconnectedEvent += (peer, info) =>
        {
            if (peer == _left) _leftClosedBecause = info.Reason.ToString();
            if (peer == _right) _rightClosedBecause = info.Reason.ToString();
        };
        _manager = new NetManager(listener) { UnsyncedEvents = true, AutoRecycle = true, UpdateTime = 1, DisconnectTimeout = 30_000 };
        if (!_manager.Start(bind.Address, IPAddress.IPv6Any, bind.Port)) throw new InvalidOperationException($"relay cannot bind {bind}");
    }

    /// <summary>Dials both validators; each sees an incoming connection it did not ask for.</summary>
    public static HandshakeRelay Between(IPEndPoint left, IPEndPoint right)
    {
        var relay = new HandshakeRelay(new IPEndPoint(IPAddress.Loopback, 0));
        relay._left = relay.Dial(left);
        relay._right = relay.Dial(right);
        return relay;
    }

    /// <summary>Dials two validators on loopback.</summary>
    public static HandshakeRelay Between(int leftPort, int rightPort) =>
        Between(new IPEndPoint(IPAddress.Loopback, leftPort), new IPEndPoint(IPAddress.Loopback, rightPort));

    /// <summary>Listens at <paramref name="held"/> (an address a validator dials: a free seat's) and dials <paramref name="right"/>.</summary>
    public static HandshakeRelay AtAddress(IPEndPoint held, IPEndPoint right)
    {
        var relay = new HandshakeRelay(held);
        relay._right = relay.Dial(right);
        return relay;
    }

    /// <summary>Listens at <paramref name="held"/> and dials nobody yet: <see cref="DialRight"/> once a validator dialed in.</summary>
    public static HandshakeRelay Holding(IPEndPoint held) => new(held);

    /// <summary>Holds a loopback port and dials a validator on loopback.</summary>
    public static HandshakeRelay AtAddress(int heldPort, int rightPort) =>
        AtAddress(new IPEndPoint(IPAddress.Loopback, heldPort), new IPEndPoint(IPAddress.Loopback, rightPort));

    /// <summary>A v1 plaintext batch of one frame on the consensus channel: what a node once took from any connection.</summary>
    public static byte[] PlaintextBatch(ReadOnlySpan<byte> payload)
    {
        var packet = new byte[1 + BatchWriter.FrameHeaderSize + payload.Length];
        packet[0] = Wire.Batch;
        packet[1] = (byte)PeerChannel.Consensus;
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(2), (uint)payload.Length);
        payload.CopyTo(packet.AsSpan(1 + BatchWriter.FrameHeaderSize));
        return packet;
    }

    /// <summary>A packet shaped like a sealed one (type, counter, ciphertext, tag) that no session key made.</summary>
    public static byte[] ForgedSealed(Random random, ulong counter)
    {
        var packet = new byte[SecureSession.HeaderSize + 16 + random.Next(64) + SecureSession.TagSize];
        random.NextBytes(packet);
        packet[0] = Wire.Sealed;
        BinaryPrimitives.WriteUInt64BigEndian(packet.AsSpan(1), counter);
        return packet;
    }

    /// <summary>Packets handed from one side to the other.</summary>
    public int Forwarded => Volatile.Read(ref _forwarded);

    /// <summary>Packets of the relay's own making it sent.</summary>
    public int Injected => Volatile.Read(ref _injected);

    /// <summary>Where the validator that dialed the held address dialed from (its own P2P port: LiteNetLib dials from the port it listens on).</summary>
    public IPEndPoint? LeftFrom => _leftFrom;

    /// <summary>Whether a side has dialed the held address (always true for <see cref="Between(IPEndPoint, IPEndPoint)"/>).</summary>
    public bool HasLeft => _left is not null;

    public bool LeftClosed => _leftClosedBecause is not null;

    public bool RightClosed => _rightClosedBecause is not null;

    public bool BothClosed => LeftClosed && RightClosed;

    /// <summary>LiteNetLib's reason each side's connection ended (null while open or never made).</summary>
    public (string? Left, string? Right) ClosedBecause => (_leftClosedBecause, _rightClosedBecause);

    /// <summary>Sides that sent a sealed packet: each took the relay for the other validator and opened a session. A defended node gives 0.</summary>
    public int Sessions => (Volatile.Read(ref _leftSealed) > 0 ? 1 : 0) + (Volatile.Read(ref _rightSealed) > 0 ? 1 : 0);

    /// <summary>Sends a packet of the relay's own making to the left side.</summary>
    public void SendLeft(byte[] packet) => SendTo(_left, packet);

    /// <summary>Sends a packet of the relay's own making to both sides.</summary>
    public void Inject(byte[] packet)
    {
        SendTo(_left, packet);
        SendTo(_right, packet);
    }

    /// <summary>
    /// When neither side spoke (both wait for the dialer's Hello), opens with a dialer's Hello to the left side — in
    /// the name of <paramref name="asKey"/> (the right side's validator key: the left then answers as to that
    /// validator) or of a stranger key — so the relay has a handshake to pass along. True when it did.
    /// </summary>
    public bool OpenIfSilent(PublicKey? asKey = null)
    {
        if (Forwarded > 0 || _left is not { ConnectionState: ConnectionState.Connected }) return false;
        using var session = new SecureSession();
        using var stranger = Ed25519Signer.Generate();
        SendLeft(Handshake.EncodeHello(HandshakeRole.Initiator, Handshake.NewNonce(), session.EphemeralPublic, asKey ?? stranger.PublicKey));
        return true;
    }

    /// <summary>Dials the right side of a relay made by <see cref="Holding"/>; what the left side said so far is forwarded once it connects.</summary>
    public void DialRight(IPEndPoint right)
    {
        if (_right is not null) throw new InvalidOperationException("the relay already has its right side");
        _right = Dial(right);
    }

    public void Dispose() => _manager.Stop();

    private NetPeer Dial(IPEndPoint to)
    {
        // LiteNetLib refuses to dial (null) an endpoint whose own connection request to this manager is still being
        // decided — the validator dialling the relay's address at the same moment (seen under a loaded CI run). That
        // lasts a moment: try again before calling the dial impossible.
        for (var attempt = 0; attempt < 40; attempt++)
        {
            if (_manager.Connect(to, Wire.ConnectTag) is { } peer) return peer;
            Thread.Sleep(25);
        }

        throw new InvalidOperationException($"relay could not dial {to}");
    }

    private void OnReceive(NetPeer from, byte[] packet)
    {
        var sealedPacket = packet.Length > 0 && packet[0] == Wire.Sealed;
        if (from == _left)
        {
            if (sealedPacket) Interlocked.Increment(ref _leftSealed);
            _toRight.Enqueue(packet);
        }
        else if (from == _right)
        {
            if (sealedPacket) Interlocked.Increment(ref _rightSealed);
            _toLeft.Enqueue(packet);
        }

        Pump();
    }

    /// <summary>Forwards what waits for a side once that side is connected.</summary>
    private void Pump()
    {
        Drain(_toRight, _right);
        Drain(_toLeft, _left);
    }

    private void Drain(ConcurrentQueue<byte[]> queue, NetPeer? to)
    {
        if (to is null || to.ConnectionState != ConnectionState.Connected) return;
        lock (queue)
        {
            while (queue.TryDequeue(out var packet))
            {
                to.Send(packet, DeliveryMethod.ReliableOrdered);
                Interlocked.Increment(ref _forwarded);
            }
        }

        _manager.TriggerUpdate();
    }

    private void SendTo(NetPeer? peer, byte[] packet)
    {
        if (peer is null || peer.ConnectionState != ConnectionState.Connected) return;
        peer.Send(packet, DeliveryMethod.ReliableOrdered);
        Interlocked.Increment(ref _injected);
        _manager.TriggerUpdate();
    }
}
