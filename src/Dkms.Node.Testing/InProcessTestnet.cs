using System.Net;
using System.Net.Sockets;
using Dkms.Core.Crypto;
using Dkms.Core.Genesis;
using Dkms.Core.Primitives;
using Dkms.Node.Mempool;
using Dkms.Node.Networking;
using Microsoft.Extensions.Logging;

namespace Dkms.Node.Testing;

/// <summary>How the nodes of an <see cref="InProcessTestnet"/> reach each other.</summary>
public enum TestnetTransport
{
    /// <summary>Direct in-memory delivery (fast, no sockets).</summary>
    InMemory,
    /// <summary>The production LiteNetLib transport on loopback UDP ports chosen at run time.</summary>
    LiteNetLib,
}

/// <summary>
/// n validators with RocksDB stores in a temporary folder, JSON-RPC on free loopback ports, in one
/// process: for end-to-end tests of the node, the client and the CLI. Keys come from fixed seeds, so
/// runs are reproducible. Dispose stops every node and deletes the folder (unless it was given).
/// </summary>
public sealed class InProcessTestnet : IAsyncDisposable
{
    public const string ChainId = "dkms-inprocess";

    private readonly List<Ed25519Signer> _keys;
    private readonly List<string> _p2pAddresses;
    private readonly List<NodeHost?> _hosts;
    private readonly InMemoryPeerHub _hub = new();
    private readonly bool _ownsDirectory;
    private readonly TestnetTransport _transport;
    private readonly Action<ILoggingBuilder> _logging;
    private readonly ILoggerFactory _loggers;
    private readonly MempoolOptions _mempool;
    private Func<int, NodeSettings, NodeSettings>? _settings; // per-node changes, e.g. a local override
    private readonly Dictionary<int, (int[] Peers, bool FollowValidators)> _observerPeers = []; // observers and the nodes they follow

    private InProcessTestnet(string directory, bool ownsDirectory, GenesisDocument genesis, Ed25519Signer[] keys, TestnetTransport transport, Action<ILoggingBuilder> logging,
        MempoolOptions mempool)
    {
        _mempool = mempool;
        Directory = directory;
        _ownsDirectory = ownsDirectory;
        Genesis = genesis;
        _keys = [.. keys];
        _p2pAddresses = [.. genesis.Validators.Select(v => v.Address)];
        _transport = transport;
        _logging = logging;
        _loggers = LoggerFactory.Create(logging);
        _hosts = [.. new NodeHost?[keys.Length]];
        GenesisPath = Path.Combine(directory, "genesis.json");
        File.WriteAllText(GenesisPath, genesis.ToJson());
    }

    public string Directory { get; }

    public GenesisDocument Genesis { get; }

    public string GenesisPath { get; }

    /// <summary>Nodes of the testnet: the genesis validators, then those added by <see cref="AddNode"/>.</summary>
    public int Count => _keys.Count;

    /// <summary>RPC roots of the running nodes (a stopped node keeps its last address).</summary>
    public Uri[] RpcEndpoints { get; private set; } = [];

    public NodeHost Host(int i) => _hosts[i] ?? throw new InvalidOperationException($"node {i} is stopped");

    public ValidatorNode Node(int i) => Host(i).Node;

    public PublicKey KeyOf(int i) => _keys[i].PublicKey;

    /// <summary>The P2P address node <paramref name="i"/> listens on (its genesis address for a genesis validator).</summary>
    public string P2PAddressOf(int i) => _p2pAddresses[i];

    /// <summary>Node <paramref name="i"/>'s key as a signer: what its operator signs a validator-set change with.</summary>
    public ISigner SignerOf(int i) => _keys[i];

    /// <summary>Writes node <paramref name="i"/>'s key file (as <c>dkms-node init</c> would), for commands that sign with it.</summary>
    public void WriteNodeKeyFile(int i, string path) => NodeKeyFile.Write(path, SeedFor(i));

    /// <summary>
    /// Adds a node that is not in the genesis (not started): a key from a fixed seed and a P2P address of its own.
    /// It becomes a validator only once a committed SetValidators names it. Returns its index.
    /// </summary>
    public int AddNode()
    {
        var i = _keys.Count;
        _keys.Add(KeyFor(i));
        _p2pAddresses.Add(AddressFor(i, _transport));
        _hosts.Add(null);
        RpcEndpoints = [.. RpcEndpoints, new Uri("http://127.0.0.1/")];
        return i;
    }

    /// <summary>
    /// Adds an observer (not started): a node of its own key that follows the chain from the nodes
    /// <paramref name="peers"/> (validators or other observers) and from the validators of the committed set, and never
    /// signs (docs/node.md, "Observers"). Over LiteNetLib only: the in-memory hub lets every node hear every other, which
    /// is not what an observer's peers are.
    /// </summary>
    public int AddObserver(params int[] peers) => AddObserver(peers, followValidators: true);

    /// <summary>Adds an observer that dials only <paramref name="peers"/> (<c>Observer:FollowValidators = false</c>).</summary>
    public int AddPeersOnlyObserver(params int[] peers) => AddObserver(peers, followValidators: false);

    private int AddObserver(int[] peers, bool followValidators)
    {
        if (_transport != TestnetTransport.LiteNetLib) throw new InvalidOperationException("observers need the LiteNetLib transport");
        var i = AddNode();
        _observerPeers[i] = (peers, followValidators);
        return i;
    }

    /// <summary>The chain parameters of an in-process testnet unless a test gives its own: the genesis defaults with shorter
    /// the timeouts and a 5 ms batch window. These nodes run on the wall clock, so a round lost to a slow start or a
    /// stopped node costs the test real seconds; short timeouts keep such a test short.</summary>
    public static ConsensusParameters ShortTimeouts { get; } = new()
    {
        TimeoutProposeMs = 500,
        TimeoutProposeIncrementMs = 250,
        TimeoutPrevoteMs = 250,
        TimeoutPrevoteIncrementMs = 100,
        TimeoutPrecommitMs = 250,
        TimeoutPrecommitIncrementMs = 100,
        BatchDelayMs = 5,
    };

    public static async Task<InProcessTestnet> StartAsync(int validators = 4, string? directory = null,
        TestnetTransport transport = TestnetTransport.InMemory, Action<ILoggingBuilder>? logging = null, ConsensusParameters? consensus = null,
        LedgerParameters? ledger = null, MempoolOptions? mempool = null, int? running = null, Func<int, NodeSettings, NodeSettings>? settings = null)
    {
        var owns = directory is null;
        directory ??= Path.Combine(Path.GetTempPath(), "dkms-testnet-" + Guid.NewGuid().ToString("N")[..12]);
        System.IO.Directory.CreateDirectory(directory);
        var keys = Enumerable.Range(0, validators).Select(KeyFor).ToArray();
        var genesis = new GenesisDocument
        {
            ChainId = ChainId,
            GenesisTime = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero),
            Validators = [.. keys.Select((k, i) => new GenesisValidator
            {
                Name = $"node{i}",
                NodeKey = k.PublicKey.ToHex(),
                Address = AddressFor(i, transport),
                Power = 1,
            })],
            Consensus = consensus ?? ShortTimeouts,
            // A one-second minimum recovery delay, so tests can run a whole social recovery.
            Ledger = ledger ?? new LedgerParameters { MinRecoveryDelaySeconds = 1 },
        };

        var net = new InProcessTestnet(directory, owns, genesis, keys, transport, logging ?? (l => l.SetMinimumLevel(LogLevel.Warning)), mempool ?? new MempoolOptions());
        net.RpcEndpoints = new Uri[validators];
        net._settings = settings;
        try
        {
            // Only the first `running` nodes start; the others stay stopped until StartNodeAsync.
            for (var i = 0; i < (running ?? validators); i++) await net.StartNodeAsync(i).ConfigureAwait(false);
        }
        catch
        {
            await net.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return net;
    }

    /// <summary>Starts (or restarts, from its data folder) node <paramref name="i"/>.</summary>
    public async Task StartNodeAsync(int i)
    {
        if (_hosts[i] is not null) throw new InvalidOperationException($"node {i} is running");
        var settings = new NodeSettings
        {
            DataDir = Path.Combine(Directory, $"node{i}"),
            GenesisFile = GenesisPath,
            RpcListen = "127.0.0.1:0",
            P2PListen = _p2pAddresses[i],
            Mempool = _mempool,
        };
        if (_observerPeers.TryGetValue(i, out var observer))
        {
            settings = settings with
            {
                Observer = new ObserverSettings
                {
                    Enabled = true,
                    Peers = [.. observer.Peers.Select(p => $"{_keys[p].PublicKey.ToHex()}@{_p2pAddresses[p]}")],
                    FollowValidators = observer.FollowValidators,
                },
            };
        }

        settings = _settings?.Invoke(i, settings) ?? settings;
        var link = _transport switch
        {
            TestnetTransport.LiteNetLib => PeerLinks.Create(settings, Genesis, _keys[i], _loggers),
            _ => _hub.Join(_keys[i].PublicKey),
        };
        var host = NodeHost.Create(settings, Genesis, _keys[i], link, _logging);
        await host.StartAsync().ConfigureAwait(false);
        _hosts[i] = host;
        RpcEndpoints[i] = host.RpcEndpoint;
    }

    /// <summary>Stops node <paramref name="i"/> cleanly; its data stays for <see cref="StartNodeAsync"/>.</summary>
    public async Task StopNodeAsync(int i)
    {
        var host = _hosts[i];
        _hosts[i] = null;
        if (host is not null) await host.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Waits until every running node has committed at least <paramref name="height"/>.</summary>
    public async Task<bool> WaitForHeightAsync(ulong height, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_hosts.All(h => h is null || h.Node.Ledger.Height >= height)) return true;
            await Task.Delay(20).ConfigureAwait(false);
        }

        return false;
    }

    /// <summary>Waits until every running node has a session with every other running node. Consensus commits with
    /// more than two thirds of them, so a node may commit while a duplicate dial is still being resolved.</summary>
    public async Task<bool> WaitForFullMeshAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            var running = _hosts.Count(h => h is not null);
            if (_hosts.All(h => h is null || h.Node.Peers.Count == running - 1)) return true;
            await Task.Delay(20).ConfigureAwait(false);
        }

        return false;
    }

    public async ValueTask DisposeAsync()
    {
        for (var i = 0; i < _hosts.Count; i++) await StopNodeAsync(i).ConfigureAwait(false);
        _loggers.Dispose();
        if (_ownsDirectory)
        {
            try
            {
                System.IO.Directory.Delete(Directory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static Ed25519Signer KeyFor(int i) => Ed25519Signer.FromSeed(SeedFor(i));

    private static byte[] SeedFor(int i) => Hash32.Sha256([.. "dkms-inprocess-validator"u8, (byte)i]).ToArray();

    private static string AddressFor(int i, TestnetTransport transport) => $"127.0.0.1:{(transport == TestnetTransport.LiteNetLib ? FreeUdpPort() : 26600 + i)}";

    /// <summary>A UDP port free right now (bound then released).</summary>
    public static int FreeUdpPort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
