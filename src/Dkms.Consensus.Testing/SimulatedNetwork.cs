using Dkms.Core.Primitives;

namespace Dkms.Consensus.InMemory;

/// <summary>Fault settings of a <see cref="SimulatedNetwork"/>; probabilities in [0, 1], delays in milliseconds.</summary>
public sealed record NetworkFaults
{
    public double DropRate { get; init; }
    public double DuplicateRate { get; init; }
    public int MinDelayMs { get; init; } = 1;
    /// <summary>Delays are uniform in [min, max]; a wide range reorders messages.</summary>
    public int MaxDelayMs { get; init; } = 5;

    /// <summary>Bytes per second each directed link carries (0: unlimited). A link sends one message after the other,
    /// in order, like one reliable ordered channel with a window: a large message delays everything queued behind it.</summary>
    public int BandwidthBytesPerSecond { get; init; }
}

/// <summary>
/// An in-process network of nodes driven by a (fake) <see cref="TimeProvider"/> and a seeded <see cref="Random"/>:
/// every message is delivered by a timer after a random delay, unless dropped, duplicated or cut by a partition.
/// Deterministic for a given seed when the clock is a fake one advanced from a single thread.
/// </summary>
public sealed class SimulatedNetwork
{
    private readonly TimeProvider _time;
    private readonly Random _random;
    private readonly Dictionary<PublicKey, Action<PublicKey, byte[]>> _nodes = new();
    private readonly List<PublicKey> _order = new();
    private Dictionary<PublicKey, int>? _partition;
    private readonly Dictionary<(PublicKey, PublicKey), DateTimeOffset> _linkFree = new(); // when a link's queue is empty

    public SimulatedNetwork(TimeProvider time, int seed)
    {
        _time = time;
        _random = new Random(seed);
    }

    public NetworkFaults Faults { get; set; } = new();

    /// <summary>Sees every message sent (before faults), e.g. to check that nobody double-signs.</summary>
    public Action<PublicKey, byte[]>? Tap { get; set; }

    public long Delivered { get; private set; }

    /// <summary>Connects a node; <paramref name="receive"/> gets (sender, bytes).</summary>
    public ITransport Join(PublicKey node, Action<PublicKey, byte[]> receive)
    {
        if (!_order.Contains(node)) _order.Add(node);
        _nodes[node] = receive;
        return new Endpoint(this, node);
    }

    /// <summary>Disconnects a node (a crash): messages in flight to it are lost.</summary>
    public void Leave(PublicKey node) => _nodes.Remove(node);

    /// <summary>Splits the network: nodes in different groups cannot talk. Unlisted nodes are isolated.</summary>
    public void Partition(params IEnumerable<PublicKey>[] groups)
    {
        _partition = new Dictionary<PublicKey, int>();
        for (var g = 0; g < groups.Length; g++)
        {
            foreach (var n in groups[g]) _partition[n] = g;
        }
    }

    public void Heal() => _partition = null;

    private bool CanTalk(PublicKey a, PublicKey b) =>
        _partition is null || (_partition.TryGetValue(a, out var ga) && _partition.TryGetValue(b, out var gb) && ga == gb);

    /// <summary>Sends from <paramref name="from"/> to <paramref name="to"/> through the fault model.</summary>
    public void Send(PublicKey from, PublicKey to, byte[] message)
    {
        Tap?.Invoke(from, message);
        if (from == to || !CanTalk(from, to) || _random.NextDouble() < Faults.DropRate) return;
        var copies = _random.NextDouble() < Faults.DuplicateRate ? 2 : 1;
        for (var i = 0; i < copies; i++)
        {
            var delay = TimeSpan.FromMilliseconds(_random.Next(Faults.MinDelayMs, Faults.MaxDelayMs + 1)) + Serialize(from, to, message.Length);
            ITimer? timer = null;
            timer = _time.CreateTimer(_ =>
            {
                timer?.Dispose();
                if (_nodes.TryGetValue(to, out var receive) && CanTalk(from, to))
                {
                    Delivered++;
                    receive(from, message);
                }
            }, null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            timer.Change(delay, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>How long the message waits for the link (queue + its own transmission) under the bandwidth limit.</summary>
    private TimeSpan Serialize(PublicKey from, PublicKey to, int bytes)
    {
        if (Faults.BandwidthBytesPerSecond <= 0) return TimeSpan.Zero;
        var now = _time.GetUtcNow();
        var start = _linkFree.TryGetValue((from, to), out var free) && free > now ? free : now;
        var done = start + TimeSpan.FromSeconds((double)bytes / Faults.BandwidthBytesPerSecond);
        _linkFree[(from, to)] = done;
        return done - now;
    }

    public void Broadcast(PublicKey from, byte[] message)
    {
        foreach (var n in _order) if (n != from) Send(from, n, message);
    }

    private sealed class Endpoint(SimulatedNetwork network, PublicKey self) : ITransport
    {
        public void Send(PublicKey peer, byte[] message) => network.Send(self, peer, message);

        public void Broadcast(byte[] message) => network.Broadcast(self, message);
    }
}
