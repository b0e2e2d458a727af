using Dkms.Core.Primitives;
using Dkms.Network;

namespace Dkms.Node.Networking;

/// <summary>The peer list of an observer (<c>Observer:Peers</c>) and the observer allow-list (<c>P2P:ObserverKeys</c>).</summary>
public static class ObserverPeers
{
    /// <summary>Parses "nodekeyhex@host:port" entries; a malformed one stops the node with the setting's name.</summary>
    public static PeerAddress[] Parse(IEnumerable<string> entries)
    {
        var peers = new List<PeerAddress>();
        foreach (var entry in entries)
        {
            var at = entry.IndexOf('@', StringComparison.Ordinal);
            if (at <= 0 || at == entry.Length - 1 || !Core.Genesis.GenesisDocument.TrySplitAddress(entry[(at + 1)..], out _, out _))
            {
                throw new NodeConfigurationException($"setting Observer:Peers has '{entry}'; each peer is nodekeyhex@host:port");
            }

            var key = ParseKey("Observer:Peers", entry[..at]);
            if (peers.Any(p => p.Key == key)) throw new NodeConfigurationException($"setting Observer:Peers lists {entry[..at]} twice");
            peers.Add(new PeerAddress(key, entry[(at + 1)..]));
        }

        return [.. peers];
    }

    /// <summary>An observer's peer set when it follows the validators too: its configured peers and the validators of
    /// the committed set (<see cref="ValidatorPeers.From"/>), ordered by key. A validator the operator listed is dialled
    /// at the configured address (the operator may know a route the ledger's address does not give).</summary>
    public static PeerAddress[] WithValidators(IReadOnlyList<PeerAddress> configured, IReadOnlyList<PeerAddress> validators)
    {
        var peers = validators.ToDictionary(p => p.Key);
        foreach (var p in configured) peers[p.Key] = p;
        return [.. peers.Values.OrderBy(p => p.Key)];
    }

    public static PublicKey ParseKey(string setting, string hex)
    {
        try
        {
            return PublicKey.ParseHex(hex.Trim());
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            throw new NodeConfigurationException($"setting {setting} has '{hex}', not a node key (64 hex digits)");
        }
    }

    /// <summary>The allow-list, or null (any observer) when none is set.</summary>
    public static IReadOnlySet<PublicKey>? AllowList(P2PSettings p2p) =>
        p2p.ObserverKeys.Length == 0 ? null : p2p.ObserverKeys.Select(k => ParseKey("P2P:ObserverKeys", k)).ToHashSet();
}
