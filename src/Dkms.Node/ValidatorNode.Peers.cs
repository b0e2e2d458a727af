using Dkms.Network;
using Dkms.Node.Networking;
using Microsoft.Extensions.Logging;

namespace Dkms.Node;

/// <summary>The peer set follows the committed validator set (<see cref="ValidatorPeers"/>), not the genesis; an observer's
/// adds its configured peers to it, or is only those (<see cref="ObserverSettings.FollowValidators"/>).</summary>
public sealed partial class ValidatorNode
{
    private volatile PeerAddress[] _peerSet = [];
    private PeerAddress[]? _configuredPeers; // an observer's Observer:Peers, parsed once

    /// <summary>The peers the link is told to keep: the validators of the next two heights by this node's ledger (and an
    /// observer's configured peers).</summary>
    public IReadOnlyList<PeerAddress> PeerSet => _peerSet;

    private PeerAddress[] PeersToKeep()
    {
        if (!IsObserver) return ValidatorPeers.From(Ledger);
        var configured = _configuredPeers ??= ObserverPeers.Parse(Settings.Observer.Peers);
        // Its blocks come from its sources whoever the validators are; following the committed set keeps it sources
        // after a change removed the validators it was given. Addresses come from blocks it verified itself.
        return Settings.Observer.FollowValidators ? ObserverPeers.WithValidators(configured, ValidatorPeers.From(Ledger)) : configured;
    }

    /// <summary>Hands the link the peer set of the committed ledger when it changed. At start, and on the loop thread after each commit.</summary>
    private void FollowValidatorSet()
    {
        var peers = PeersToKeep();
        if (ValidatorPeers.Same(peers, _peerSet)) return;
        var added = peers.Count(p => !_peerSet.Any(o => o.Key == p.Key));
        var removed = _peerSet.Count(o => !peers.Any(p => p.Key == o.Key));
        var first = _peerSet.Length == 0;
        _peerSet = peers;
        try
        {
            _link.UpdatePeers(peers);
        }
        catch (ArgumentException e)
        {
            // The ledger's sets are checked when committed; should one still not fit, the node keeps its peers and its loop.
            LogPeerSetRefused(_logger, e);
            return;
        }

        if (!first) LogPeerSetChanged(_logger, Ledger.Height, peers.Length, added, removed);
    }

    /// <summary>After each commit (loop thread): the block and its certificate go to every observer with a session here,
    /// so observers follow without asking; one that missed blocks asks for them (catch-up, rate-limited per peer).
    /// Encoded only when an observer is there to get it.</summary>
    private void PushToObservers(Core.Blocks.Block block, Core.Blocks.CommitCertificate certificate)
    {
        if (_link.ConnectedObservers.Count == 0) return;
        _link.SendToObservers(NodeChannel.Consensus, Dkms.Consensus.ConsensusMessage.Encode(block, certificate));
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The committed validator set could not be applied to the peer link; the previous peers stay")]
    private static partial void LogPeerSetRefused(ILogger logger, Exception e);

    [LoggerMessage(Level = LogLevel.Information, Message = "Validator set changed at height {Height}: peer set now {Count} peers ({Added} added, {Removed} removed)")]
    private static partial void LogPeerSetChanged(ILogger logger, ulong height, int count, int added, int removed);
}
