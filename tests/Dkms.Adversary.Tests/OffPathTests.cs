using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Dkms.Adversary.OffPath;
using Dkms.Core.Crypto;
using Dkms.Network;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;

namespace Dkms.Adversary.Tests;

/// <summary>
/// The tool's modes without a validator key (relay, connect-flood) against in-process validators' peer networks
/// over the real LiteNetLib transport: what the tool reports must match what the validators went through.
/// </summary>
public sealed class OffPathTests(ITestOutputHelper output) : IDisposable
{
    private const string ChainId = "dkms-offpath-test";

    private readonly List<Ed25519Signer> _keys = [.. Enumerable.Range(0, 3).Select(_ => Ed25519Signer.Generate())];
    private readonly List<PeerNetwork> _started = [];
    private readonly List<PeerAddress> _validators = [];

    [Fact]
    public async Task The_relay_mode_gets_no_session_and_leaves_the_validators_session_alone()
    {
        // Validators 0 and 1 run and hold a session; seat 2 is free, so the relay holds its address (both dial it).
        var validators = Validators();
        var a = Start(0, validators);
        var b = Start(1, validators);
        await Until(() => a.ConnectedPeers.Contains(_keys[1].PublicKey) && b.ConnectedPeers.Contains(_keys[0].PublicKey), "a and b connected");
        var opened = (a.Stats.SessionsOpened, b.Stats.SessionsOpened);
        var delivered = 0;
        a.MessageReceived = b.MessageReceived = (_, _, _) => Interlocked.Increment(ref delivered);

        var report = await RelayAttack.RunAsync(new OffPathOptions
        {
            Targets = [Endpoint(validators[0]), Endpoint(validators[1])],
            Held = Endpoint(validators[2]),
            KeysAt = validators.ToDictionary(Endpoint, v => v.Key),
            Seed = 16,
            Duration = TimeSpan.FromSeconds(6),
        });
        output.WriteLine(report.Summary());

        Assert.Equal(0, report.Sessions);
        // The attack was made: handshakes passed along (a validator's own Hello forwarded, or one opened in the other
        // validator's name when neither side spoke first — which of the two happens depends on timing) and frames injected.
        Assert.True(report.Forwarded + report.OpenedHellos > 0 && report.Injected > 0, "the relay reached both validators and passed handshakes along");
        Assert.True(report.HeldDialed > 0, "a validator dialed the held seat's address");
        Assert.Equal(opened, (a.Stats.SessionsOpened, b.Stats.SessionsOpened));
        Assert.Contains(_keys[1].PublicKey, a.ConnectedPeers);
        Assert.Contains(_keys[0].PublicKey, b.ConnectedPeers);
        Assert.Equal(0, Volatile.Read(ref delivered));
    }

    [Fact]
    public async Task The_connect_flood_mode_is_refused_by_the_admission_and_a_validator_still_connects_during_it()
    {
        // a never dials b, so b's session has to come in through a's admission while the flood runs.
        var validators = Validators();
        var a = Start(0, [validators[0], validators[1] with { Address = "127.0.0.1:1" }, validators[2]]);
        var flood = ConnectFloodAttack.RunAsync(new OffPathOptions
        {
            Targets = [Endpoint(validators[0])],
            Seed = 17,
            Rate = 1_000,
            Duration = TimeSpan.FromSeconds(8),
            Sources = 16,
        });
        await Until(() => a.Stats.RefusedRateFromSource + a.Stats.RefusedRateTotal + a.Stats.RefusedPendingFromSource + a.Stats.RefusedPendingTotal > 50,
            "the flood reached a's limits");
        var b = Start(1, validators);
        await Until(() => a.ConnectedPeers.Contains(_keys[1].PublicKey), "b connected to a during the flood");
        Assert.False(flood.IsCompleted, "b connected only after the flood");

        var report = await flood;
        output.WriteLine(report.Summary());
        Assert.Equal(0, report.Sessions);
        Assert.True(report.Accepted > 0 && report.Refused > 0, "the tool saw places taken and refusals");
        Assert.True(report.Refused <= a.Stats.RefusedHandshakes, "every refusal the tool saw is one the node counted");
        Assert.True(report.JunkConnected > 0, "junk handshakes got connections to send their junk on");
        Assert.Contains(_keys[0].PublicKey, b.ConnectedPeers);
    }

    public void Dispose()
    {
        foreach (var n in _started) n.Dispose();
        foreach (var k in _keys) k.Dispose();
    }

    private List<PeerAddress> Validators()
    {
        foreach (var key in _keys) _validators.Add(new PeerAddress(key.PublicKey, $"127.0.0.1:{FreeUdpPort()}"));
        return _validators;
    }

    private PeerNetwork Start(int index, IReadOnlyList<PeerAddress> view)
    {
        var network = new PeerNetwork(new PeerNetworkOptions
        {
            ChainId = ChainId,
            NodeSigner = _keys[index],
            ListenAddress = _validators[index].Address,
            Validators = view,
            HandshakeTimeout = TimeSpan.FromSeconds(1),
        }, NullLogger<PeerNetwork>.Instance);
        _started.Add(network);
        network.Start();
        return network;
    }

    private static IPEndPoint Endpoint(PeerAddress validator) => IPEndPoint.Parse(validator.Address);

    private static int FreeUdpPort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    private static async Task Until(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(20)) Assert.Fail($"timed out waiting for: {what}");
            await Task.Delay(10);
        }
    }
}
