using System.Collections.Concurrent;
using Dkms.Core.Primitives;

namespace Dkms.Node.Networking;

/// <summary>
/// Connects in-process nodes directly: a message is handed to the receiver's handler on a per-receiver
/// delivery thread, in order. The in-memory twin of the LiteNetLib transport for tests. Like the real one it follows
/// <see cref="IPeerLink.UpdatePeers"/>: two nodes talk only while each lists the other (every joined node until a
/// node's first update).
/// </summary>
public sealed class InMemoryPeerHub
{
    private readonly ConcurrentDictionary<PublicKey, Link> _links = new();

    public IPeerLink Join(PublicKey key) => new Link(this, key);

    private sealed class Link(InMemoryPeerHub hub, PublicKey key) : IPeerLink
    {
        private readonly BlockingCollection<(PublicKey From, NodeChannel Channel, byte[] Message)> _inbox = new(100_000);
        private Thread? _thread;
        private volatile bool _stopped;

        /// <summary>The keys this node talks to; null (before any update) for every node of the hub.</summary>
        private volatile HashSet<PublicKey>? _allowed;

        public Action<PublicKey, NodeChannel, byte[]>? MessageReceived { get; set; }

        public IReadOnlyList<PublicKey> ConnectedPeers => [.. hub._links.Where(l => l.Key != key && Linked(l.Value)).Select(l => l.Key)];

        public void UpdatePeers(IReadOnlyList<Dkms.Network.PeerAddress> peers) =>
            _allowed = [.. peers.Select(p => p.Key).Where(k => k != key)];

        private bool Allows(PublicKey peer) => _allowed is not { } allowed || allowed.Contains(peer);

        private bool Linked(Link other) => Allows(other.Key) && other.Allows(Key);

        private PublicKey Key => key;

        public void Start()
        {
            if (!hub._links.TryAdd(key, this)) throw new InvalidOperationException($"a node with key {key} already joined");
            _thread = new Thread(Deliver) { IsBackground = true, Name = $"peer-hub {key.ToHex()[..8]}" };
            _thread.Start();
        }

        public void Send(PublicKey peer, NodeChannel channel, byte[] message)
        {
            if (hub._links.TryGetValue(peer, out var to) && Linked(to)) to.Enqueue(key, channel, message);
        }

        public void Broadcast(NodeChannel channel, byte[] message)
        {
            foreach (var (k, to) in hub._links)
            {
                if (k != key && Linked(to)) to.Enqueue(key, channel, message);
            }
        }

        private void Enqueue(PublicKey from, NodeChannel channel, byte[] message)
        {
            if (!_stopped) _inbox.TryAdd((from, channel, message));
        }

        private void Deliver()
        {
            foreach (var (from, channel, message) in _inbox.GetConsumingEnumerable())
            {
                MessageReceived?.Invoke(from, channel, message);
            }
        }

        public void Dispose()
        {
            if (_stopped) return;
            _stopped = true;
            hub._links.TryRemove(new KeyValuePair<PublicKey, Link>(key, this));
            _inbox.CompleteAdding();
            _thread?.Join();
            _inbox.Dispose();
        }
    }
}
