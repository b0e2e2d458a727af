using System.Collections.Concurrent;
using Dkms.Core.Primitives;

namespace Dkms.Node.Networking;

/// <summary>
/// Connects in-process nodes directly: a message is handed to the receiver's handler on a per-receiver
/// delivery thread, in order. The in-memory twin of the LiteNetLib transport for tests. Every node that joined hears
/// every other — tests observe gossip from outside the validator set through it — so <see cref="IPeerLink.UpdatePeers"/>
/// changes nothing here; membership is exercised over LiteNetLib.
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

        public Action<PublicKey, NodeChannel, byte[]>? MessageReceived { get; set; }

        public IReadOnlyList<PublicKey> ConnectedPeers => [.. hub._links.Keys.Where(k => k != key)];

        public void UpdatePeers(IReadOnlyList<Dkms.Network.PeerAddress> peers)
        {
        }

        public void Start()
        {
            if (!hub._links.TryAdd(key, this)) throw new InvalidOperationException($"a node with key {key} already joined");
            _thread = new Thread(Deliver) { IsBackground = true, Name = $"peer-hub {key.ToHex()[..8]}" };
            _thread.Start();
        }

        public void Send(PublicKey peer, NodeChannel channel, byte[] message)
        {
            if (hub._links.TryGetValue(peer, out var to)) to.Enqueue(key, channel, message);
        }

        public void Broadcast(NodeChannel channel, byte[] message)
        {
            foreach (var (k, to) in hub._links)
            {
                if (k != key) to.Enqueue(key, channel, message);
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
