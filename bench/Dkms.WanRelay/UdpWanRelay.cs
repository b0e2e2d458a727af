using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Dkms.WanRelay;

/// <summary>
/// Stands in front of each node's P2P port: peers dial the relay address of node i, the relay delivers to node i after
/// the delay of the link from the sender's region, and delivers node i's answers back the same way. The sender is known
/// by its source address (a node sends from its P2P socket); each sender gets its own socket toward node i, so node i
/// sees one peer per sender. Loss decisions come from a seeded generator per link direction.
/// </summary>
public sealed class UdpWanRelay : IDisposable
{
    private const int MaxDatagram = 65_535;
    // Senders the relay keeps a socket for, per node: bounded, so a flood of spoofed sources cannot exhaust sockets.
    private const int MaxSendersPerNode = 64;

    private readonly WanProfile _profile;
    private readonly IReadOnlyList<RelayedNode> _nodes;
    private readonly Socket[] _front;
    private readonly ConcurrentDictionary<(int Node, IPEndPoint Sender), Socket> _back = new();
    private readonly Random[,] _loss;
    private readonly PriorityQueue<Pending, long> _due = new();
    private readonly object _dueLock = new(); // Monitor.Wait/Pulse: the send loop sleeps until the next packet is due
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentBag<Task> _receivers = [];
    private readonly Thread _sender;
    private readonly long _started = Stopwatch.GetTimestamp();
    private long _forwarded, _lost, _cut, _unknown;

    private readonly record struct Pending(Socket Socket, EndPoint To, byte[] Data);

    public UdpWanRelay(WanProfile profile, IReadOnlyList<RelayedNode> nodes)
    {
        if (nodes.Count != profile.NodeRegions.Length)
        {
            throw new ProfileException($"the profile places {profile.NodeRegions.Length} nodes, {nodes.Count} were given");
        }

        _profile = profile;
        _nodes = nodes;
        var n = nodes.Count + 1; // the last row and column: senders that are not nodes
        _loss = new Random[n, n];
        for (var a = 0; a < n; a++)
        {
            for (var b = 0; b < n; b++) _loss[a, b] = new Random(HashCode.Combine(profile.Seed, a, b));
        }

        _front = [.. nodes.Select(node => Bind(node.Relay))];
        _sender = new Thread(SendLoop) { IsBackground = true, Name = "wan-relay-send" };
    }

    /// <summary>Packets delivered, lost (loss), dropped by a partition, and from senders that are no node.</summary>
    public (long Forwarded, long Lost, long Cut, long Unknown) Counts =>
        (Interlocked.Read(ref _forwarded), Interlocked.Read(ref _lost), Interlocked.Read(ref _cut), Interlocked.Read(ref _unknown));

    /// <summary>The address peers dial for node <paramref name="i"/> (its port is known once bound, e.g. port 0).</summary>
    public IPEndPoint RelayOf(int i) => (IPEndPoint)_front[i].LocalEndPoint!;

    public void Start()
    {
        _sender.Start();
        for (var i = 0; i < _front.Length; i++)
        {
            var node = i;
            _receivers.Add(Task.Run(() => FrontLoop(node)));
        }
    }

    private TimeSpan Elapsed => Stopwatch.GetElapsedTime(_started);

    private static Socket Bind(IPEndPoint at)
    {
        var s = new Socket(at.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        s.Bind(at);
        return s;
    }

    private int SenderIndex(IPEndPoint from)
    {
        for (var i = 0; i < _nodes.Count; i++)
        {
            if (_nodes[i].Node.Port == from.Port && (_nodes[i].Node.Address.Equals(from.Address) || IPAddress.IsLoopback(from.Address) && IPAddress.IsLoopback(_nodes[i].Node.Address))) return i;
        }

        return -1;
    }

    /// <summary>Packets peers send to node <paramref name="node"/>'s relay address.</summary>
    private async Task FrontLoop(int node)
    {
        var buffer = new byte[MaxDatagram];
        var any = new IPEndPoint(IPAddress.Any, 0);
        while (!_stop.IsCancellationRequested)
        {
            SocketReceiveFromResult r;
            try
            {
                r = await _front[node].ReceiveFromAsync(buffer, SocketFlags.None, any, _stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                continue; // e.g. an ICMP "port unreachable" reported on this socket: the next datagram is unaffected
            }

            var sender = (IPEndPoint)r.RemoteEndPoint;
            var from = SenderIndex(sender);
            if (from < 0) Interlocked.Increment(ref _unknown);
            var back = BackSocket(node, sender, from);
            if (back is null) continue;
            Schedule(from, node, back, _nodes[node].Node, buffer.AsSpan(0, r.ReceivedBytes).ToArray());
        }
    }

    /// <summary>The socket that carries <paramref name="sender"/>'s packets to node <paramref name="node"/> (and its
    /// answers back); made on first use.</summary>
    private Socket? BackSocket(int node, IPEndPoint sender, int from)
    {
        if (_back.TryGetValue((node, sender), out var s)) return s;
        if (_back.Keys.Count(k => k.Node == node) >= MaxSendersPerNode) return null;
        s = Bind(new IPEndPoint(_nodes[node].Node.Address, 0));
        if (!_back.TryAdd((node, sender), s))
        {
            s.Dispose();
            return _back[(node, sender)];
        }

        _receivers.Add(Task.Run(() => BackLoop(node, sender, from, s)));
        return s;
    }

    /// <summary>Answers of node <paramref name="node"/> to one sender: delivered from the relay address it dialled.</summary>
    private async Task BackLoop(int node, IPEndPoint sender, int from, Socket back)
    {
        var buffer = new byte[MaxDatagram];
        var any = new IPEndPoint(IPAddress.Any, 0);
        while (!_stop.IsCancellationRequested)
        {
            SocketReceiveFromResult r;
            try
            {
                r = await back.ReceiveFromAsync(buffer, SocketFlags.None, any, _stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }

            Schedule(node, from, _front[node], sender, buffer.AsSpan(0, r.ReceivedBytes).ToArray());
        }
    }

    private void Schedule(int from, int to, Socket via, EndPoint destination, byte[] data)
    {
        var outside = _nodes.Count;
        var a = from < 0 ? outside : from;
        var b = to < 0 ? outside : to;
        var link = from < 0 || to < 0 ? _profile.Local : _profile.Link(from, to);
        if (from >= 0 && to >= 0 && _profile.IsCut(from, to, Elapsed))
        {
            Interlocked.Increment(ref _cut);
            return;
        }

        double delay;
        lock (_loss[a, b])
        {
            var random = _loss[a, b];
            if (link.Loss > 0 && random.NextDouble() < link.Loss)
            {
                Interlocked.Increment(ref _lost);
                return;
            }

            delay = link.DelayMs + (link.JitterMs > 0 ? (random.NextDouble() * 2 - 1) * link.JitterMs : 0);
        }

        var due = Stopwatch.GetTimestamp() + (long)(Math.Max(0, delay) * Stopwatch.Frequency / 1000);
        lock (_dueLock)
        {
            _due.Enqueue(new Pending(via, destination, data), due);
            Monitor.Pulse(_dueLock);
        }
    }

    private void SendLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            Pending next;
            lock (_dueLock)
            {
                if (!_due.TryPeek(out next, out var due))
                {
                    Monitor.Wait(_dueLock, 100);
                    continue;
                }

                var wait = due - Stopwatch.GetTimestamp();
                if (wait > 0)
                {
                    // Timer resolution is about a millisecond: wake early and send late by at most that.
                    Monitor.Wait(_dueLock, (int)Math.Clamp(wait * 1000 / Stopwatch.Frequency, 1, 100));
                    continue;
                }

                _due.Dequeue();
            }

            try
            {
                next.Socket.SendTo(next.Data, next.To);
                Interlocked.Increment(ref _forwarded);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // The destination is gone (a node stopped): as on a real network, the packet is lost.
            }
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        lock (_dueLock) Monitor.PulseAll(_dueLock);
        foreach (var s in _front) s.Dispose();
        foreach (var s in _back.Values) s.Dispose();
        if (_sender.IsAlive) _sender.Join(TimeSpan.FromSeconds(5));
        try
        {
            Task.WaitAll([.. _receivers], TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }

        _stop.Dispose();
    }
}
