using System.Net;
using Dkms.Core.Genesis;
using Dkms.Core.Primitives;
using Dkms.Network;

namespace Dkms.Adversary.OffPath;

/// <summary>What an attacker without a validator key aims at, and for how long (modes relay and connect-flood).</summary>
public sealed record OffPathOptions
{
    /// <summary>The validators' P2P endpoints to attack.</summary>
    public required IReadOnlyList<IPEndPoint> Targets { get; init; }

    /// <summary>Relay: the validators' node keys by endpoint (from the genesis), so the relay can open a handshake in another validator's name.</summary>
    public IReadOnlyDictionary<IPEndPoint, PublicKey> KeysAt { get; init; } = new Dictionary<IPEndPoint, PublicKey>();

    /// <summary>Relay: an address the validators dial that the relay holds (a free seat's genesis address), or null to only dial.</summary>
    public IPEndPoint? Held { get; init; }

    public int Seed { get; init; } = 1;

    /// <summary>Connect-flood: connection requests per second, all targets together.</summary>
    public double Rate { get; init; } = 2_000;

    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Connect-flood: how many loopback source addresses (127.0.0.2 on).</summary>
    public int Sources { get; init; } = 32;

    /// <summary>
    /// The P2P endpoints of <paramref name="genesis"/>'s validators, or of those whose address is in
    /// <paramref name="targets"/>, leaving out <paramref name="held"/> (a seat the attacker holds is no target).
    /// </summary>
    public static IReadOnlyList<IPEndPoint> TargetsOf(GenesisDocument genesis, IReadOnlyCollection<string>? targets, string? held)
    {
        var addresses = genesis.Validators.Select(v => v.Address).Where(a => a != held).ToList();
        if (targets is { Count: > 0 })
        {
            var unknown = targets.Where(t => !addresses.Contains(t)).ToList();
            if (unknown.Count > 0) throw new ArgumentException($"not a P2P address of a validator in the genesis: {string.Join(", ", unknown)}");
            addresses = [.. targets];
        }

        return [.. addresses.Select(Resolve)];
    }

    /// <summary>Every validator's node key by its P2P endpoint.</summary>
    public static IReadOnlyDictionary<IPEndPoint, PublicKey> KeysOf(GenesisDocument genesis) =>
        genesis.Validators.ToDictionary(v => Resolve(v.Address), v => v.Key);

    /// <summary>"host:port" as an endpoint (IPv4 first).</summary>
    public static IPEndPoint Resolve(string address)
    {
        var (host, port) = Endpoints.Parse(address);
        return new IPEndPoint(Endpoints.Resolve(host, allowV6: true), port);
    }
}
