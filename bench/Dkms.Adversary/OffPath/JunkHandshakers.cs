using System.Diagnostics;
using System.Net;
using Dkms.Core.Primitives;
using Dkms.Network;

namespace Dkms.Adversary.OffPath;

/// <summary>
/// LiteNetLib clients from flooding sources that connect and then send junk instead of a handshake (issue 16 #5):
/// random bytes, a Hello of another version, a Hello followed by a forged Auth, a batch before any handshake, or
/// nothing at all. One thread per worker, each client waits at most a little over a second. Seeded.
/// </summary>
public sealed class JunkHandshakers : IDisposable
{
    private readonly Thread[] _threads;
    private volatile bool _stop;
    private int _attempts;
    private int _connected;
    private int _refused;
    private int _closedByNode;
    private int _sessions;

    public JunkHandshakers(IReadOnlyList<IPEndPoint> targets, IReadOnlyList<IPAddress> sources, int workers, int seed)
    {
        if (targets.Count == 0 || sources.Count == 0) throw new ArgumentException("junk handshakes need targets and sources");
        _threads = [.. Enumerable.Range(0, workers).Select(w => new Thread(() => Run(targets, sources, new Random(seed + w))) { IsBackground = true, Name = "junk-handshaker" })];
        foreach (var t in _threads) t.Start();
    }

    /// <summary>Junk handshakers against nodes on loopback.</summary>
    public JunkHandshakers(IReadOnlyList<int> ports, IReadOnlyList<IPAddress> sources, int workers, int seed)
        : this([.. ports.Select(p => new IPEndPoint(IPAddress.Loopback, p))], sources, workers, seed)
    {
    }

    /// <summary>Clients started.</summary>
    public int Attempts => Volatile.Read(ref _attempts);

    /// <summary>Clients that got a connection (a pending handshake place) before sending their junk.</summary>
    public int Connected => Volatile.Read(ref _connected);

    /// <summary>Clients the node refused at connect time.</summary>
    public int Refused => Volatile.Read(ref _refused);

    /// <summary>Connected clients whose connection the node closed (refused handshake, timeout).</summary>
    public int ClosedByNode => Volatile.Read(ref _closedByNode);

    /// <summary>Clients a node sent a sealed packet, taking the junk for a session. A defended node gives 0.</summary>
    public int Sessions => Volatile.Read(ref _sessions);

    public void Dispose()
    {
        _stop = true;
        foreach (var t in _threads) t.Join();
    }

    /// <summary>A well-formed Hello of the dialer with random nonce, ephemeral and key.</summary>
    public static byte[] RandomHello(Random random)
    {
        var bytes = new byte[Handshake.NonceSize + Handshake.EphemeralSize + PublicKey.Size];
        random.NextBytes(bytes);
        return Handshake.EncodeHello(HandshakeRole.Initiator, bytes.AsSpan(0, Handshake.NonceSize),
            bytes.AsSpan(Handshake.NonceSize, Handshake.EphemeralSize), new PublicKey(bytes.AsSpan(Handshake.NonceSize + Handshake.EphemeralSize)));
    }

    private void Run(IReadOnlyList<IPEndPoint> targets, IReadOnlyList<IPAddress> sources, Random random)
    {
        while (!_stop)
        {
            Interlocked.Increment(ref _attempts);
            using var raw = new RawClient(targets[random.Next(targets.Count)], bind: sources[random.Next(sources.Count)]);
            var clock = Stopwatch.StartNew();
            while (!raw.Connected && !raw.Disconnected && clock.ElapsedMilliseconds < 1000) Thread.Sleep(5);
            if (!raw.Connected)
            {
                if (raw.DisconnectReason == "ConnectionRejected") Interlocked.Increment(ref _refused);
                continue;
            }

            Interlocked.Increment(ref _connected);
            foreach (var packet in Junk(random)) raw.Send(packet);
            while (!raw.Disconnected && clock.ElapsedMilliseconds < 1300) Thread.Sleep(5);
            if (raw.Disconnected) Interlocked.Increment(ref _closedByNode);
            if (raw.GotSession) Interlocked.Increment(ref _sessions);
        }
    }

    private static IEnumerable<byte[]> Junk(Random random)
    {
        byte[] Bytes(int n)
        {
            var b = new byte[n];
            random.NextBytes(b);
            return b;
        }

        switch (random.Next(5))
        {
            case 0:
                yield return Bytes(1 + random.Next(200));
                break;
            case 1:
                var hello = RandomHello(random);
                hello[1] ^= 0x7F; // another protocol version
                yield return hello;
                break;
            case 2:
                yield return RandomHello(random);
                var auth = Bytes(Handshake.AuthSize);
                auth[0] = Wire.Auth;
                yield return auth;
                break;
            case 3:
                yield return [Wire.Batch, .. Bytes(random.Next(64))];
                break;
            default:
                break; // silent until the node's handshake timeout
        }
    }
}
