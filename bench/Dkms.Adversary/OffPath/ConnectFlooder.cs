using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using Dkms.Network;
using LiteNetLib;

namespace Dkms.Adversary.OffPath;

/// <summary>
/// Floods nodes with LiteNetLib connection requests carrying the DKMS tag, from many loopback addresses and
/// ports, and never goes on (issue 16 #5): each request a node accepts stays a silent pending handshake until the
/// node gives up on it. Plain UDP sockets, so thousands of sources cost no threads. It reads the nodes' answers:
/// an accept (a pending place taken), a refusal at connect time, or the end of a place it held. Seeded.
/// </summary>
public sealed class ConnectFlooder : IDisposable
{
    /// <summary>LiteNetLib's ConnectRequest packet: property, protocol id, connect time, peer id, target address size.</summary>
    private const int RequestHeaderSize = 18;

    /// <summary>The low bits of a LiteNetLib packet's first byte name its kind.</summary>
    private const int PropertyMask = 0x1F;

    private static readonly Assembly LiteNetLibAssembly = typeof(NetManager).Assembly;

    private static readonly int ProtocolId = (int)LiteNetLibAssembly.GetType("LiteNetLib.NetConstants")!
        .GetField("ProtocolId", BindingFlags.NonPublic | BindingFlags.Public | BindingFlags.Static)!.GetRawConstantValue()!;

    private static readonly byte ConnectRequest = Property("ConnectRequest");
    private static readonly byte ConnectAccept = Property("ConnectAccept");
    private static readonly byte Disconnect = Property("Disconnect");

    /// <summary>What the nodes put in a refusal (PeerNetwork.Admission).</summary>
    private static readonly byte[] RefusedReply = "DKMS/refused"u8.ToArray();

    private readonly IPEndPoint[] _targets;
    private readonly IPAddress[] _sources;
    private readonly Random _random;
    private readonly Socket?[] _sockets;
    private readonly Thread _thread;
    private readonly double _perSecond;
    private readonly byte[] _receiveBuffer = new byte[2048];
    private volatile bool _stop;
    private long _connectTime = DateTime.UtcNow.Ticks;
    private long _attempts;
    private long _sent;
    private long _accepted;
    private long _refused;
    private long _closedAfterAccept;

    /// <param name="targets">The nodes' P2P endpoints.</param>
    /// <param name="sources">Source addresses; each gets <paramref name="portsPerSource"/> sockets, replaced now and then by new ones.</param>
    /// <param name="perSecond">Connection requests per second, all targets together.</param>
    public ConnectFlooder(IEnumerable<IPEndPoint> targets, IReadOnlyList<IPAddress> sources, int portsPerSource, double perSecond, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(perSecond);
        _targets = [.. targets];
        if (_targets.Length == 0 || sources.Count == 0) throw new ArgumentException("the flood needs targets and sources");
        _sources = [.. sources];
        _random = new Random(seed);
        _sockets = new Socket?[_sources.Length * portsPerSource];
        _perSecond = perSecond;
        _thread = new Thread(Run) { IsBackground = true, Name = "connect-flooder" };
        _thread.Start();
    }

    /// <summary>Floods nodes on loopback.</summary>
    public ConnectFlooder(IEnumerable<int> targetPorts, IReadOnlyList<IPAddress> sources, int portsPerSource, double perSecond, int seed)
        : this(targetPorts.Select(p => new IPEndPoint(IPAddress.Loopback, p)), sources, portsPerSource, perSecond, seed)
    {
    }

    /// <summary>The addresses 127.0.0.<paramref name="first"/> on, <paramref name="count"/> of them (Linux routes all of 127/8 to loopback).</summary>
    public static IReadOnlyList<IPAddress> LoopbackSources(int count, int first = 2)
    {
        if (count < 1 || first < 2 || first + count > 255) throw new ArgumentOutOfRangeException(nameof(count), "sources are 127.0.0.2 to 127.0.0.254");
        return [.. Enumerable.Range(first, count).Select(i => new IPAddress([127, 0, 0, (byte)i]))];
    }

    /// <summary>Connection requests sent.</summary>
    public long Sent => Interlocked.Read(ref _sent);

    /// <summary>Requests a node accepted: each took one of its pending places.</summary>
    public long Accepted => Interlocked.Read(ref _accepted);

    /// <summary>Requests a node refused at connect time (its admission limits).</summary>
    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>Accepted connections the node closed later (its handshake timeout).</summary>
    public long ClosedAfterAccept => Interlocked.Read(ref _closedAfterAccept);

    public void Dispose()
    {
        _stop = true;
        _thread.Join();
        foreach (var s in _sockets) s?.Dispose();
    }

    private void Run()
    {
        var clock = Stopwatch.StartNew();
        var lastRead = TimeSpan.Zero;
        while (!_stop)
        {
            while (!_stop && _attempts < clock.Elapsed.TotalSeconds * _perSecond) SendOne();
            if (clock.Elapsed - lastRead > TimeSpan.FromMilliseconds(10))
            {
                ReadAnswers();
                lastRead = clock.Elapsed;
            }

            Thread.Sleep(1);
        }

        ReadAnswers();
    }

    private void SendOne()
    {
        var slot = _random.Next(_sockets.Length);
        // One request in eight comes from a fresh port.
        if (_sockets[slot] is null || _random.Next(8) == 0)
        {
            if (_sockets[slot] is { } old)
            {
                Drain(old);
                old.Dispose();
            }

            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { Blocking = false };
            socket.Bind(new IPEndPoint(_sources[slot % _sources.Length], 0));
            _sockets[slot] = socket;
        }

        var target = _targets[_random.Next(_targets.Length)];
        _attempts++;
        try
        {
            _sockets[slot]!.SendTo(Request(target), target);
            Interlocked.Increment(ref _sent);
        }
        catch (SocketException)
        {
            // an ICMP error from an earlier send, or a full buffer; the next one goes on
        }
    }

    private void ReadAnswers()
    {
        foreach (var socket in _sockets)
        {
            if (socket is not null) Drain(socket);
        }
    }

    private void Drain(Socket socket)
    {
        try
        {
            while (socket.Available > 0)
            {
                var n = socket.Receive(_receiveBuffer);
                if (n > 0) Classify(_receiveBuffer.AsSpan(0, n));
            }
        }
        catch (SocketException)
        {
            // an ICMP error (nothing listens there); the next read goes on
        }
    }

    private void Classify(ReadOnlySpan<byte> packet)
    {
        var property = (byte)(packet[0] & PropertyMask);
        if (property == ConnectAccept) Interlocked.Increment(ref _accepted);
        else if (property == Disconnect && packet.IndexOf(RefusedReply) >= 0) Interlocked.Increment(ref _refused);
        else if (property == Disconnect) Interlocked.Increment(ref _closedAfterAccept);
    }

    private byte[] Request(IPEndPoint target)
    {
        var address = target.Serialize();
        var tag = Wire.ConnectTag;
        var packet = new byte[RequestHeaderSize + address.Size + tag.Length];
        packet[0] = ConnectRequest;
        BinaryPrimitives.WriteInt32LittleEndian(packet.AsSpan(1), ProtocolId);
        BinaryPrimitives.WriteInt64LittleEndian(packet.AsSpan(5), Interlocked.Increment(ref _connectTime));
        BinaryPrimitives.WriteInt32LittleEndian(packet.AsSpan(13), _random.Next());
        packet[RequestHeaderSize - 1] = (byte)address.Size;
        for (var i = 0; i < address.Size; i++) packet[RequestHeaderSize + i] = address[i];
        tag.CopyTo(packet.AsSpan(RequestHeaderSize + address.Size));
        return packet;
    }

    private static byte Property(string name) =>
        (byte)Convert.ToInt32(Enum.Parse(LiteNetLibAssembly.GetType("LiteNetLib.PacketProperty")!, name), System.Globalization.CultureInfo.InvariantCulture);
}
