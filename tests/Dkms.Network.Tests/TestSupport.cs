using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Dkms.Core.Crypto;
using Dkms.Core.Primitives;
using Microsoft.Extensions.Logging;

namespace Dkms.Network.Tests;

/// <summary>Polls a condition: networks are asynchronous, so tests wait (generously) instead of timing.</summary>
internal static class Eventually
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    public static void True(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > (timeout ?? Timeout)) Assert.Fail($"timed out waiting for: {what}");
            Thread.Sleep(10);
        }
    }

    /// <summary>Gives a condition that should stay false the chance to become true, then checks it did not.</summary>
    public static void Never(Func<bool> condition, string what, TimeSpan during)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < during)
        {
            Assert.False(condition(), what);
            Thread.Sleep(20);
        }
    }
}

internal static class FreePort
{
    /// <summary>A UDP port that was free a moment ago (bound, then released).</summary>
    public static int Next()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}

internal sealed record Received(PublicKey From, PeerChannel Channel, byte[] Message);

/// <summary>Everything a network delivered, in arrival order.</summary>
internal sealed class Inbox
{
    private readonly ConcurrentQueue<Received> _items = new();

    public void Add(PublicKey from, PeerChannel channel, byte[] message) => _items.Enqueue(new Received(from, channel, message));

    public IReadOnlyList<Received> Items => [.. _items];

    public int Count => _items.Count;

    public IReadOnlyList<Received> From(PublicKey key, PeerChannel channel) =>
        [.. _items.Where(r => r.From == key && r.Channel == channel)];
}

/// <summary>Keeps log lines so tests can check what was logged.</summary>
internal sealed class ListLogger<T> : ILogger<T>
{
    public ConcurrentQueue<(LogLevel Level, string Message)> Lines { get; } = new();

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Lines.Enqueue((logLevel, formatter(state, exception)));
}

/// <summary>A running node of a <see cref="TestNet"/>.</summary>
internal sealed class TestNode(Ed25519Signer key, PeerNetwork network, Inbox inbox, ListLogger<PeerNetwork> log)
{
    public Ed25519Signer Key { get; } = key;
    public PublicKey PublicKey => Key.PublicKey;
    public PeerNetwork Network { get; } = network;
    public Inbox Inbox { get; } = inbox;
    public ListLogger<PeerNetwork> Log { get; } = log;
}

/// <summary>
/// n validators on loopback with ports picked at run time. Every network it starts is disposed with it.
/// <para>All its networks share <see cref="Time"/>: the machine's clock, or a fake one a test moves on (handshake
/// timeouts, backoff, silence, log windows), so the test checks the rule rather than how fast the machine is.</para>
/// </summary>
internal sealed class TestNet : IDisposable
{
    private readonly List<PeerNetwork> _started = [];
    private readonly List<Ed25519Signer> _keys = [];

    public TestNet(int validators, string chainId = "dkms-test", TimeProvider? time = null)
    {
        ChainId = chainId;
        Time = time ?? TimeProvider.System;
        var list = new List<PeerAddress>();
        for (var i = 0; i < validators; i++)
        {
            var key = Ed25519Signer.Generate();
            _keys.Add(key);
            list.Add(new PeerAddress(key.PublicKey, $"127.0.0.1:{FreePort.Next()}"));
        }

        Validators = list;
    }

    public string ChainId { get; }

    /// <summary>The clock every network of this net is given.</summary>
    public TimeProvider Time { get; }

    public IReadOnlyList<PeerAddress> Validators { get; }

    public List<TestNode> Nodes { get; } = [];

    public IReadOnlyList<Ed25519Signer> Keys => _keys;

    /// <summary>Starts validator <paramref name="index"/> of the list (again, after a restart).</summary>
    public TestNode Start(int index, Func<PeerNetworkOptions, PeerNetworkOptions>? tweak = null) =>
        StartWith(_keys[index], Validators[index].Address, tweak);

    /// <summary>Starts a node with any key and address, e.g. one that is not a validator.</summary>
    public TestNode StartWith(Ed25519Signer key, string listen, Func<PeerNetworkOptions, PeerNetworkOptions>? tweak = null)
    {
        var options = new PeerNetworkOptions
        {
            ChainId = ChainId,
            NodeSigner = key,
            ListenAddress = listen,
            Validators = Validators,
        };
        options = tweak?.Invoke(options) ?? options;
        var log = new ListLogger<PeerNetwork>();
        var network = new PeerNetwork(options, log, Time);
        var inbox = new Inbox();
        network.MessageReceived = inbox.Add;
        _started.Add(network);
        network.Start();
        var node = new TestNode(key, network, inbox, log);
        Nodes.Add(node);
        return node;
    }

    public TestNet StartAll()
    {
        for (var i = 0; i < Validators.Count; i++) Start(i);
        return this;
    }

    public void WaitFullyConnected(IReadOnlyList<TestNode>? nodes = null)
    {
        nodes ??= Nodes;
        foreach (var n in nodes)
        {
            Eventually.True(() => nodes.All(o => o == n || n.Network.ConnectedPeers.Contains(o.PublicKey)),
                $"{n.PublicKey} connected to all");
        }
    }

    public void Dispose()
    {
        foreach (var n in _started) n.Dispose();
        foreach (var k in _keys) k.Dispose();
    }
}
