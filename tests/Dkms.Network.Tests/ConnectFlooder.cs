using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using LiteNetLib;

namespace Dkms.Network.Tests;

/// <summary>
/// Floods nodes with LiteNetLib connection requests carrying the DKMS tag, from many loopback addresses and
/// ports, and never answers: each request the node accepts stays a silent pending handshake. Plain UDP sockets,
/// so thousands of sources cost no threads. Seeded, so a run can be repeated.
/// </summary>
internal sealed class ConnectFlooder : IDisposable
{
    /// <summary>LiteNetLib's ConnectRequest packet: property, protocol id, connect time, peer id, target address size.</summary>
    private const int RequestHeaderSize = 18;

    private const byte ConnectRequestProperty = 6;

    private static readonly int ProtocolId = (int)typeof(NetManager).Assembly.GetType("LiteNetLib.NetConstants")!
        .GetField("ProtocolId", BindingFlags.NonPublic | BindingFlags.Public | BindingFlags.Static)!.GetRawConstantValue()!;

    private readonly IPEndPoint[] _targets;
    private readonly IPAddress[] _sources;
    private readonly Random _random;
    private readonly Socket?[] _sockets;
    private readonly Thread _thread;
    private readonly TimeSpan _interval;
    private volatile bool _stop;
    private long _connectTime = DateTime.UtcNow.Ticks;
    private int _sent;

    /// <param name="sources">Source addresses; each gets <paramref name="portsPerSource"/> sockets, replaced now and then by new ones.</param>
    public ConnectFlooder(IEnumerable<int> targetPorts, IReadOnlyList<IPAddress> sources, int portsPerSource, TimeSpan interval, int seed)
    {
        _targets = [.. targetPorts.Select(p => new IPEndPoint(IPAddress.Loopback, p))];
        _sources = [.. sources];
        _random = new Random(seed);
        _sockets = new Socket?[_sources.Length * portsPerSource];
        _interval = interval;
        _thread = new Thread(Run) { IsBackground = true, Name = "connect-flooder" };
        _thread.Start();
    }

    /// <summary>Connection requests sent.</summary>
    public int Sent => Volatile.Read(ref _sent);

    public void Dispose()
    {
        _stop = true;
        _thread.Join();
        foreach (var s in _sockets) s?.Dispose();
    }

    private void Run()
    {
        while (!_stop)
        {
            var slot = _random.Next(_sockets.Length);
            // One request in eight comes from a fresh port.
            if (_sockets[slot] is null || _random.Next(8) == 0)
            {
                _sockets[slot]?.Dispose();
                _sockets[slot] = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                _sockets[slot]!.Bind(new IPEndPoint(_sources[slot % _sources.Length], 0));
            }

            var target = _targets[_random.Next(_targets.Length)];
            try
            {
                _sockets[slot]!.SendTo(Request(target), target);
                Interlocked.Increment(ref _sent);
            }
            catch (SocketException)
            {
                // an ICMP error from an earlier send; the next one goes on
            }

            Thread.Sleep(_interval);
        }
    }

    private byte[] Request(IPEndPoint target)
    {
        var address = target.Serialize();
        byte[] tag = [.. Wire.ConnectTag];
        var packet = new byte[RequestHeaderSize + address.Size + tag.Length];
        packet[0] = ConnectRequestProperty;
        BinaryPrimitives.WriteInt32LittleEndian(packet.AsSpan(1), ProtocolId);
        BinaryPrimitives.WriteInt64LittleEndian(packet.AsSpan(5), Interlocked.Increment(ref _connectTime));
        BinaryPrimitives.WriteInt32LittleEndian(packet.AsSpan(13), _random.Next());
        packet[RequestHeaderSize - 1] = (byte)address.Size;
        for (var i = 0; i < address.Size; i++) packet[RequestHeaderSize + i] = address[i];
        tag.CopyTo(packet, RequestHeaderSize + address.Size);
        return packet;
    }
}
