using System.Collections.Concurrent;
using System.Net;
using LiteNetLib;

namespace Dkms.Network.Tests;

/// <summary>
/// A host off the path between two validators, holding no validator key. It gets one LiteNetLib connection to
/// each side — by dialing both, or by holding the address one side dials and dialing the other — and forwards
/// every packet one side sends to the other, so each side sees the other's real handshake. It can also open the
/// conversation itself and inject packets of its own.
/// </summary>
internal sealed class HandshakeRelay : IDisposable
{
    private readonly NetManager _manager;
    private readonly ConcurrentQueue<byte[]> _toLeft = new();
    private readonly ConcurrentQueue<byte[]> _toRight = new();
    private volatile NetPeer? _left;
    private volatile NetPeer? _right;
    private int _forwarded;
    private int _leftClosed;
    private int _rightClosed;

    private HandshakeRelay(int listenPort)
    {
        var listener = new EventBasedNetListener();
        listener.ConnectionRequestEvent += r =>
        {
            // Holding a validator's address: whoever dials it is the left side.
            if (_left is null) _left = r.Accept();
            else r.RejectForce();
        };
        listener.NetworkReceiveEvent += (peer, reader, _, _) => OnReceive(peer, reader.PeekRemainingBytes());
        listener.PeerConnectedEvent += _ => Pump();
        listener.PeerDisconnectedEvent += (peer, _) =>
        {
            if (peer == _left) Interlocked.Exchange(ref _leftClosed, 1);
            if (peer == _right) Interlocked.Exchange(ref _rightClosed, 1);
        };
        _manager = new NetManager(listener) { UnsyncedEvents = true, AutoRecycle = true, UpdateTime = 1, DisconnectTimeout = 30_000 };
        if (!_manager.Start(IPAddress.Loopback, IPAddress.IPv6Any, listenPort)) throw new InvalidOperationException($"relay cannot bind {listenPort}");
    }

    /// <summary>Dials both validators; each sees an incoming connection it did not ask for.</summary>
    public static HandshakeRelay Between(int leftPort, int rightPort)
    {
        var relay = new HandshakeRelay(0);
        relay._left = relay.Dial(leftPort);
        relay._right = relay.Dial(rightPort);
        return relay;
    }

    /// <summary>Listens at <paramref name="heldPort"/> (an address one validator dials) and dials the other validator.</summary>
    public static HandshakeRelay AtAddress(int heldPort, int rightPort)
    {
        var relay = new HandshakeRelay(heldPort);
        relay._right = relay.Dial(rightPort);
        return relay;
    }

    /// <summary>Packets handed from one side to the other.</summary>
    public int Forwarded => Volatile.Read(ref _forwarded);

    public bool LeftClosed => Volatile.Read(ref _leftClosed) != 0;

    public bool RightClosed => Volatile.Read(ref _rightClosed) != 0;

    public bool BothClosed => LeftClosed && RightClosed;

    /// <summary>Sends a packet of the relay's own making to the left side.</summary>
    public void SendLeft(byte[] packet) => SendTo(_left, packet);

    /// <summary>Sends a packet of the relay's own making to both sides.</summary>
    public void Inject(byte[] packet)
    {
        SendTo(_left, packet);
        SendTo(_right, packet);
    }

    public void Dispose() => _manager.Stop();

    private NetPeer Dial(int port) => _manager.Connect(new IPEndPoint(IPAddress.Loopback, port), Wire.ConnectTag)
        ?? throw new InvalidOperationException("relay could not dial");

    private void OnReceive(NetPeer from, byte[] packet)
    {
        if (from == _left) _toRight.Enqueue(packet);
        else if (from == _right) _toLeft.Enqueue(packet);
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
        _manager.TriggerUpdate();
    }
}
