using Dkms.Core.Primitives;
using Microsoft.Extensions.Logging;

namespace Dkms.Network;

/// <summary>
/// The allowed peers at run time. The validator set changes on the ledger (SetValidators); the node hands the new
/// peer set to <see cref="UpdatePeers"/> and the network thread applies it: new peers are dialled and accepted, removed
/// peers lose their session and are refused at their next handshake.
/// <para>The set is two immutable snapshots, <c>_slots</c> (by key) and <c>_slotList</c>, replaced whole on the network
/// thread and never changed once published, so <see cref="Send"/> and <see cref="Broadcast"/> read them from any thread
/// without a lock.</para>
/// </summary>
public sealed partial class PeerNetwork
{
    /// <summary>The latest set asked for and not yet applied; the network thread takes it (a newer request replaces it).</summary>
    private PeerAddress[]? _requestedPeers;

    /// <summary>The peers this node accepts and dials now (its own key left out).</summary>
    public IReadOnlyList<PeerAddress> Peers => [.. _slotList.Select(s => s.Address)];

    /// <summary>
    /// Replaces the allowed peers and the dial list. Thread-safe and non-blocking: the network thread applies the latest
    /// request on its next turn (a request made before <see cref="Start"/> is applied when it starts). A peer that stays
    /// keeps its session; one whose address changed keeps its session and is dialled at the new address afterwards.
    /// This node's own key may be listed and is skipped.
    /// </summary>
    /// <exception cref="ArgumentException">A key is listed twice, or an entry has no address.</exception>
    public void UpdatePeers(IReadOnlyList<PeerAddress> peers)
    {
        ArgumentNullException.ThrowIfNull(peers);
        var seen = new HashSet<PublicKey>();
        foreach (var p in peers)
        {
            if (p is null || string.IsNullOrWhiteSpace(p.Address)) throw new ArgumentException("every peer needs a key and an address", nameof(peers));
            if (!seen.Add(p.Key)) throw new ArgumentException($"peer {p.Key} is listed twice", nameof(peers));
        }

        if (Volatile.Read(ref _disposed) != 0) return;
        Volatile.Write(ref _requestedPeers, [.. peers]);
        Wake();
    }

    /// <summary>Network thread: installs the requested peer set, if any, and closes the sessions of peers it left out.</summary>
    private void ApplyRequestedPeers()
    {
        var requested = Interlocked.Exchange(ref _requestedPeers, null);
        if (requested is null) return;

        var old = _slots;
        var next = new Dictionary<PublicKey, PeerSlot>(requested.Length);
        var moved = new List<(PeerSlot From, PeerSlot To)>();
        var now = _time.GetTimestamp();
        foreach (var peer in requested)
        {
            if (peer.Key == _self) continue;
            if (old.TryGetValue(peer.Key, out var slot) && slot.Address.Address == peer.Address)
            {
                next.Add(peer.Key, slot);
                continue;
            }

            var fresh = new PeerSlot(peer, _options.ReconnectMinDelay) { NextDialAt = now };
            if (slot is not null) moved.Add((slot, fresh));
            next.Add(peer.Key, fresh);
        }

        var removed = old.Values.Where(s => !next.ContainsKey(s.Address.Key)).ToList();
        if (removed.Count == 0 && moved.Count == 0 && next.Count == old.Count) return;

        // Publish first: from here on Send, Broadcast and the handshake see only the new set.
        _slots = next;
        _slotList = [.. next.Values];

        foreach (var (from, to) in moved)
        {
            // Same validator, new address: the authenticated session proves the key, so it stays; redials use the new address.
            if (from.Active is { } conn)
            {
                from.Active = null;
                conn.Slot = to;
                to.Active = conn;
                to.NextDialAt = Later(to.Backoff);
            }

            DropQueued(from);
        }

        foreach (var slot in removed)
        {
            if (slot.Active is { } conn)
            {
                _logger.LogInformation("peer {Peer} at {Endpoint} left the peer set: closing its session", slot.Address.Key, conn.Peer.ToString());
                Close(conn);
            }

            DropQueued(slot);
        }

        // Reserved admission room follows the set: added validators get it, removed ones lose it.
        LearnValidatorSources();
        PublishConnected();
        CloseObserversNowValidators();
        _logger.LogInformation("peer set updated: {Count} peers ({Added} added, {Removed} removed, {Moved} with a new address)",
            _slotList.Length, next.Keys.Count(k => !old.ContainsKey(k)), removed.Count, moved.Count);
    }
}
