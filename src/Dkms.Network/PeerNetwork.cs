using System.Collections.Concurrent;
using System.Net.Sockets;
using Dkms.Core.Primitives;
using LiteNetLib;
using Microsoft.Extensions.Logging;

namespace Dkms.Network;

/// <summary>
/// The peer transport over LiteNetLib (UDP with reliable ordered delivery and fragmentation). It connects the
/// allowed validators (<see cref="UpdatePeers"/>), proves node keys in a handshake (<see cref="Handshake"/>), batches outgoing
/// messages per peer and hands incoming ones to <see cref="MessageReceived"/>.
/// <para>Threads: LiteNetLib's own threads only put events into an inbox; one network thread owned by this
/// class drains it, runs the handshakes, delivers messages, flushes the outgoing queues and dials. So all
/// connection state is single-threaded, and <see cref="Send"/> only enqueues and wakes that thread.</para>
/// </summary>
public sealed partial class PeerNetwork : IDisposable
{
    /// <summary>Pending handshakes of sources where no validator lives, together (see <see cref="ConnectionAdmission"/>).</summary>
    internal const int MaxPendingHandshakes = 64;

    /// <summary>A connection whose peer sent more bad messages than this is closed.</summary>
    internal const int MaxMalformedPerConnection = 100;

    /// <summary>LiteNetLib's ping interval: a live connection hears something at least this often.</summary>
    internal static readonly TimeSpan KeepaliveInterval = TimeSpan.FromSeconds(1);

    private readonly PeerNetworkOptions _options;
    private readonly ILogger<PeerNetwork> _logger;
    private readonly TimeProvider _time;
    private readonly PublicKey _self;
    private volatile Dictionary<PublicKey, PeerSlot> _slots = []; // replaced whole by UpdatePeers (PeerNetwork.Membership.cs)
    private volatile PeerSlot[] _slotList;
    private readonly NetManager _manager;
    private readonly ConcurrentQueue<NetInput> _inbox = new();
    private readonly AutoResetEvent _wake = new(false);
    private Thread? _thread;
    private volatile bool _stopping;
    private int _started;
    private int _disposed;
    private volatile PublicKey[] _connected = [];

    public PeerNetwork(PeerNetworkOptions options, ILogger<PeerNetwork> logger) : this(options, logger, TimeProvider.System)
    {
    }

    /// <param name="time">The clock of every rule of this network: handshake timeouts, reconnect backoff, connection
    /// admission buckets, the silence of a session, name-resolution timeouts and the windows of the rate-limited logs.
    /// LiteNetLib's own transport timers (connect retries, ping, disconnect timeout) run on the machine's clock.</param>
    public PeerNetwork(PeerNetworkOptions options, ILogger<PeerNetwork> logger, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(options.ChainId);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxMessageBytes, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxQueuedBytesPerPeer, options.MaxMessageBytes);
        if (options.ReconnectMinDelay <= TimeSpan.Zero || options.ReconnectMaxDelay < options.ReconnectMinDelay)
        {
            throw new ArgumentException("need 0 < ReconnectMinDelay <= ReconnectMaxDelay", nameof(options));
        }

        _options = options;
        _logger = logger;
        _time = time;
        _admission = new ConnectionAdmission(time);
        _refusals = new RefusalLog(logger, time);
        _sessionFaults = new SourceLimitedLog(logger, time, "broken-session lines");
        // LiteNetLib's messages on a real clock: its logger is one for the process, whatever clock this network has.
        LiteNetLibLog.Install(logger, TimeProvider.System);
        _self = options.NodeSigner.PublicKey;
        foreach (var v in options.Validators)
        {
            if (v.Key == _self) continue;
            if (!_slots.TryAdd(v.Key, new PeerSlot(v, options.ReconnectMinDelay)))
            {
                throw new ArgumentException($"validator {v.Key} is listed twice", nameof(options));
            }
        }

        _slotList = [.. _slots.Values];

        var listener = new EventBasedNetListener();
        listener.ConnectionRequestEvent += OnConnectionRequest;
        listener.PeerConnectedEvent += p => Post(new NetInput(NetInputKind.Connected, p, null));
        listener.PeerDisconnectedEvent += (p, info) => Post(new NetInput(NetInputKind.Disconnected, p, null, info.Reason));
        listener.NetworkReceiveEvent += OnReceive;
        // A pong answers this node's keepalive ping: the peer is alive even when it has nothing to say.
        listener.NetworkLatencyUpdateEvent += (p, _) => Heard(p);
        listener.NetworkErrorEvent += (endpoint, error) => OnNetworkError(endpoint?.ToString(), error);
        _manager = new NetManager(listener)
        {
            // Events are raised on LiteNetLib's threads and only enqueued; no PollEvents needed.
            UnsyncedEvents = true,
            AutoRecycle = true,
            // LiteNetLib sends queued packets and acks on its update tick; 1 ms keeps big transfers moving.
            // Small messages do not wait for it: the flush calls TriggerUpdate.
            UpdateTime = 1,
            ReconnectDelay = (int)Math.Clamp(options.ReconnectMinDelay.TotalMilliseconds, 50, 1000),
            MaxConnectAttempts = 10,
            DisconnectOnUnreachable = true,
            ChannelsCount = 1,
            // Reassembly limit for incoming fragmented messages: room for the largest batch, at the smallest MTU.
            MaxFragmentsCount = MaxFragmentsFor(options.MaxMessageBytes),
            PingInterval = (int)KeepaliveInterval.TotalMilliseconds,
        };
    }

    /// <summary>
    /// Called on the network thread for every application message from an authenticated peer, in order per
    /// peer and channel. Keep it short (hand off to a queue): the next messages wait for it to return.
    /// </summary>
    public Action<PublicKey, PeerChannel, byte[]>? MessageReceived { get; set; }

    /// <summary>Called on the network thread when an authenticated session with a validator opens (a peer that restarted,
    /// or this node at start): consensus tells it its height at once. Keep it short, like <see cref="MessageReceived"/>.</summary>
    public Action<PublicKey>? PeerConnected { get; set; }

    /// <summary>Called on the network thread when the session with a validator closes (and no other replaced it).</summary>
    public Action<PublicKey>? PeerDisconnected { get; set; }

    /// <summary>The actual bound UDP port (0 before <see cref="Start"/>).</summary>
    public int ListenPort => _manager.LocalPort;

    /// <summary>Validators with an authenticated, connected session.</summary>
    public IReadOnlyList<PublicKey> ConnectedPeers => _connected;

    public PeerNetworkStats Stats { get; } = new();

    /// <summary>Binds the listen address, starts the network thread and dials every other validator.</summary>
    public void Start()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (Interlocked.Exchange(ref _started, 1) != 0) throw new InvalidOperationException("already started");

        var (host, port) = Endpoints.Parse(_options.ListenAddress);
        var bind = Endpoints.Resolve(host, allowV6: true);
        _manager.IPv6Enabled = bind.AddressFamily == AddressFamily.InterNetworkV6;
        var started = _manager.IPv6Enabled
            ? _manager.Start(System.Net.IPAddress.Any, bind, port)
            : _manager.Start(bind, System.Net.IPAddress.IPv6Any, port);
        if (!started) throw new InvalidOperationException($"could not bind {_options.ListenAddress}");

        LearnValidatorSources();
        var now = _time.GetTimestamp();
        foreach (var slot in _slotList) slot.NextDialAt = now;
        _thread = new Thread(Run) { IsBackground = true, Name = $"dkms-p2p:{ListenPort}" };
        _thread.Start();
        _logger.LogInformation("p2p listening on {Address} port {Port} as {NodeKey} with {Peers} peers",
            host, ListenPort, _self, _slotList.Length);
    }

    /// <summary>
    /// Queues <paramref name="message"/> for <paramref name="peer"/> and returns at once. Best effort: dropped
    /// (and counted) when the peer is not connected, the message is too big or the peer's queue is full.
    /// The array is sent later and must not be modified after the call.
    /// </summary>
    public void Send(PublicKey peer, PeerChannel channel, byte[] message)
    {
        if (!Admit(channel, message)) return;
        if ((_slots.TryGetValue(peer, out var slot) || _observers.TryGetValue(peer, out slot)) && slot.Active is not null && Enqueue(slot, channel, message))
        {
            Wake();
        }
        else if (slot?.Active is null)
        {
            Stats.NotConnected();
        }
    }

    /// <summary>Queues <paramref name="message"/> for every connected authenticated peer; see <see cref="Send"/>.</summary>
    public void Broadcast(PeerChannel channel, byte[] message)
    {
        if (!Admit(channel, message)) return;
        var any = false;
        foreach (var slot in _slotList)
        {
            if (slot.Active is not null) any |= Enqueue(slot, channel, message);
        }

        if (any) Wake();
    }

    public void Dispose() => Stop(sendDisconnectMessages: true);

    /// <summary>Test hook: stops like a killed process, without telling the peers.</summary>
    internal void Crash() => Stop(sendDisconnectMessages: false);

    private void Stop(bool sendDisconnectMessages)
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _stopping = true;
        _resolveStop.Cancel();
        Wake();
        // A MessageReceived handler may dispose the network; the loop then ends after the handler returns.
        if (_thread is not null && _thread != Thread.CurrentThread) _thread.Join();
        // Tells connected peers we left, so they redial at once instead of waiting for a timeout.
        _manager.Stop(sendDisconnectMessages);
        // Session keys; on the network thread itself (a handler disposing) the loop may still touch them.
        if (_thread != Thread.CurrentThread)
        {
            foreach (var conn in _connections.Values) conn.Dispose();
        }

        _connected = [];
        _connectedObservers = [];
        _resolveStop.Dispose();
        _wake.Dispose();
        _refusals.Dispose();
        _sessionFaults.Dispose();
        _logger.LogInformation("p2p stopped");
    }

    private bool Admit(PeerChannel channel, byte[] message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (channel > PeerChannel.Mempool) throw new ArgumentOutOfRangeException(nameof(channel), channel, "unknown channel");
        if (Volatile.Read(ref _disposed) != 0) return false;
        if (message.Length <= _options.MaxMessageBytes) return true;
        Stats.Oversized(null);
        _logger.LogWarning("dropped an outgoing {Channel} message of {Bytes} bytes (limit {Limit})", channel, message.Length, _options.MaxMessageBytes);
        return false;
    }

    private bool Enqueue(PeerSlot slot, PeerChannel channel, byte[] message)
    {
        if (Interlocked.Add(ref slot.QueuedBytes, message.Length) > _options.MaxQueuedBytesPerPeer)
        {
            Interlocked.Add(ref slot.QueuedBytes, -message.Length);
            Stats.QueueFull();
            return false;
        }

        slot.Queues[(int)channel].Enqueue(message);
        return true;
    }

    private void Wake()
    {
        try
        {
            _wake.Set();
        }
        catch (ObjectDisposedException)
        {
            // stopping
        }
    }

    private static ushort MaxFragmentsFor(int maxMessageBytes)
    {
        var payloadPerFragment = NetConstants.InitialMtu - 64; // conservative: MTU minus all headers
        var batch = (long)maxMessageBytes + BatchWriter.FrameHeaderSize + 1;
        return (ushort)Math.Min(ushort.MaxValue, (batch / payloadPerFragment) + 2);
    }
}
