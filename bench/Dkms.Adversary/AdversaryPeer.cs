using System.Collections.Concurrent;
using Dkms.Core.Crypto;
using Dkms.Core.Genesis;
using Dkms.Core.Primitives;
using Dkms.Network;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dkms.Adversary;

/// <summary>
/// A validator's seat on the peer network, taken by the adversary: the product's own <see cref="PeerNetwork"/>
/// (same transport, handshake and framing as a node, so it keeps speaking whatever the nodes speak) holding one
/// validator's key. It sends whatever bytes it is given and keeps what the honest validators send it, for the
/// fuzzer to mutate, relay and replay.
/// </summary>
public sealed class AdversaryPeer : IDisposable
{
    /// <summary>Incoming messages kept until <see cref="DrainReceived"/>; beyond this the oldest are dropped.</summary>
    public const int MaxInbox = 4096;

    private readonly PeerNetwork _network;
    private readonly ConcurrentQueue<ReceivedMessage> _inbox = new();
    private long _received;

    /// <param name="chainId">The chain's id (the handshake signs it).</param>
    /// <param name="key">The validator key the adversary holds.</param>
    /// <param name="listen">"host:port" to bind; port 0 picks one (the honest nodes cannot dial it then, but it dials them).</param>
    /// <param name="peers">The honest validators to connect to (their node keys and P2P addresses).</param>
    /// <param name="maxMessageBytes">Largest message it will send; above the nodes' limit to test that they drop it.</param>
    public AdversaryPeer(string chainId, ISigner key, string listen, IReadOnlyList<PeerAddress> peers, int maxMessageBytes = 16 * 1024 * 1024,
        ILoggerFactory? loggers = null)
    {
        Key = key;
        Peers = [.. peers.Where(p => p.Key != key.PublicKey).Select(p => p.Key)];
        _network = new PeerNetwork(new PeerNetworkOptions
        {
            ChainId = chainId,
            NodeSigner = key,
            ListenAddress = listen,
            Validators = [.. peers, new PeerAddress(key.PublicKey, listen)],
            MaxMessageBytes = maxMessageBytes,
            MaxQueuedBytesPerPeer = 4 * maxMessageBytes,
        }, (loggers ?? NullLoggerFactory.Instance).CreateLogger<PeerNetwork>());
        _network.MessageReceived = OnMessage;
    }

    /// <summary>
    /// The adversary in the seat of <paramref name="key"/>'s validator of <paramref name="genesis"/>, attacking the other
    /// validators, or only those whose genesis P2P address is in <paramref name="targets"/>.
    /// </summary>
    public static AdversaryPeer ForGenesis(GenesisDocument genesis, ISigner key, string listen, IReadOnlyCollection<string>? targets = null,
        ILoggerFactory? loggers = null)
    {
        var peers = genesis.Validators.Where(v => v.Key != key.PublicKey).Select(v => new PeerAddress(v.Key, v.Address)).ToList();
        if (targets is { Count: > 0 })
        {
            var unknown = targets.Where(t => peers.All(p => p.Address != t)).ToList();
            if (unknown.Count > 0) throw new ArgumentException($"not a P2P address of another validator in the genesis: {string.Join(", ", unknown)}");
            peers = [.. peers.Where(p => targets.Contains(p.Address))];
        }

        return new AdversaryPeer(genesis.ChainId, key, listen, peers, loggers: loggers);
    }

    public ISigner Key { get; }

    /// <summary>The honest validators this peer attacks.</summary>
    public IReadOnlyList<PublicKey> Peers { get; }

    public IReadOnlyList<PublicKey> Connected => _network.ConnectedPeers;

    public PeerNetworkStats Stats => _network.Stats;

    public int ListenPort => _network.ListenPort;

    /// <summary>Messages received from honest validators so far.</summary>
    public long Received => Interlocked.Read(ref _received);

    public void Start() => _network.Start();

    /// <summary>Waits until at least <paramref name="count"/> honest validators accepted the handshake.</summary>
    public async Task<bool> WaitConnectedAsync(int count, TimeSpan timeout, CancellationToken ct = default)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (Connected.Count < count)
        {
            if (DateTime.UtcNow > deadline) return false;
            await Task.Delay(20, ct).ConfigureAwait(false);
        }

        return true;
    }

    /// <summary>Queues bytes for one peer; false when that peer has no session (the bytes are dropped).</summary>
    public bool Send(PublicKey peer, PeerChannel channel, byte[] message)
    {
        if (!_network.ConnectedPeers.Contains(peer)) return false;
        _network.Send(peer, channel, message);
        return true;
    }

    /// <summary>Takes the messages received since the last call, oldest first.</summary>
    public List<ReceivedMessage> DrainReceived()
    {
        var list = new List<ReceivedMessage>(_inbox.Count);
        while (_inbox.TryDequeue(out var m)) list.Add(m);
        return list;
    }

    private void OnMessage(PublicKey from, PeerChannel channel, byte[] message)
    {
        // Runs on the network thread: only keep it, bounded.
        Interlocked.Increment(ref _received);
        _inbox.Enqueue(new ReceivedMessage(from, channel, message));
        while (_inbox.Count > MaxInbox && _inbox.TryDequeue(out _))
        {
        }
    }

    public void Dispose() => _network.Dispose();
}

public sealed record ReceivedMessage(PublicKey From, PeerChannel Channel, byte[] Bytes);
