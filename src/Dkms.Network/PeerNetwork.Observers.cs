using Dkms.Core.Primitives;
using Microsoft.Extensions.Logging;

namespace Dkms.Network;

/// <summary>
/// Observer sessions (docs/node.md, "Observers"): a node that is not a validator dials with the observer flag in its
/// Hello and authenticates with its own node key through the same handshake and secure session as a validator. Such
/// sessions take slots of their own, at most <see cref="PeerNetworkOptions.MaxObservers"/>, never the validators' (a
/// validator's key always gets its validator slot, whatever its Hello says), are never dialed back, receive only what
/// is sent to them by key or to all observers (<see cref="SendToObservers"/>; no broadcast), and their mempool frames
/// are dropped: an observer takes no transactions and must not feed any into a validator's pool.
/// <para>Like the validator slots, the observer slots are an immutable snapshot replaced whole on the network thread,
/// so <see cref="Send"/> reads them from any thread without a lock.</para>
/// </summary>
public sealed partial class PeerNetwork
{
    private volatile Dictionary<PublicKey, PeerSlot> _observers = [];
    private volatile PeerSlot[] _observerList = [];
    private volatile PublicKey[] _connectedObservers = [];

    /// <summary>Observers with an authenticated session at this node.</summary>
    public IReadOnlyList<PublicKey> ConnectedObservers => _connectedObservers;

    /// <summary>Queues <paramref name="message"/> for every observer with a session here; see <see cref="Send"/>.</summary>
    public void SendToObservers(PeerChannel channel, byte[] message)
    {
        var observers = _observerList;
        if (observers.Length == 0 || !Admit(channel, message)) return;
        var any = false;
        foreach (var slot in observers)
        {
            if (slot.Active is not null) any |= Enqueue(slot, channel, message);
        }

        if (any) Wake();
    }

    /// <summary>At an unknown key's Hello: whether it may have an observer session (it asked for one, it dialed this node,
    /// it is allowed, and a place is free); the reason to refuse it otherwise.</summary>
    private bool MayObserve(Connection conn, Hello hello, out string refusal)
    {
        refusal = "key is not a validator";
        if (!hello.Observer || conn.Role != HandshakeRole.Responder) return false;
        if (_options.MaxObservers <= 0) refusal = "this node accepts no observers";
        else if (_options.ObserverKeys is { } allowed && !allowed.Contains(hello.NodeKey)) refusal = "key is not an allowed observer";
        else if (!HasObserverRoom(hello.NodeKey))
        {
            Stats.ObserverRefused();
            refusal = $"all {_options.MaxObservers} observer places are taken";
        }
        else return true;
        return false;
    }

    /// <summary>A place is free, or this key holds one already (its new session replaces the old one).</summary>
    private bool HasObserverRoom(PublicKey key) => _observers.ContainsKey(key) || _observers.Count < _options.MaxObservers;

    /// <summary>Network thread, at an authenticated observer's Auth: gives it a slot (replacing its previous session,
    /// which the new one proved to be stale or a duplicate). False if the places filled up since its Hello.</summary>
    private bool TakeObserverSlot(Connection conn, PublicKey key)
    {
        if (!HasObserverRoom(key))
        {
            Stats.ObserverRefused();
            Refuse(conn, $"all {_options.MaxObservers} observer places are taken", key.ToString());
            return false;
        }

        _admission.Release(conn.Peer);
        Stats.SessionOpened();
        if (_observers.TryGetValue(key, out var previous) && previous.Active is { } old)
        {
            _logger.LogDebug("replacing the observer session of {Peer} at {Endpoint}", key, old.Peer.ToString());
            Close(old); // removes its slot (LeaveSlot)
        }

        var slot = new PeerSlot(new PeerAddress(key, conn.Peer.ToString()), _options.ReconnectMinDelay) { IsObserver = true, Active = conn };
        conn.Slot = slot;
        PublishObservers(new Dictionary<PublicKey, PeerSlot>(_observers) { [key] = slot });
        _logger.LogInformation("observer {Peer} connected at {Endpoint} ({Count} of {Max} observer places taken)",
            key, conn.Peer.ToString(), _observers.Count, _options.MaxObservers);
        NotifyConnected(key);
        return true;
    }

    /// <summary>Network thread: an observer's session closed; its slot goes with it.</summary>
    private void LeaveObserverSlot(PeerSlot slot)
    {
        if (!_observers.TryGetValue(slot.Address.Key, out var current) || current != slot) return;
        var next = new Dictionary<PublicKey, PeerSlot>(_observers);
        next.Remove(slot.Address.Key);
        PublishObservers(next);
        _logger.LogInformation("observer {Peer} disconnected", slot.Address.Key);
    }

    /// <summary>Network thread, after the validator set changed: an observer whose key became a validator loses its
    /// observer session (it comes back as a validator).</summary>
    private void CloseObserversNowValidators()
    {
        foreach (var slot in _observerList)
        {
            if (_slots.ContainsKey(slot.Address.Key) && slot.Active is { } conn) Close(conn);
        }
    }

    private void PublishObservers(Dictionary<PublicKey, PeerSlot> next)
    {
        _observers = next;
        _observerList = [.. next.Values];
        _connectedObservers = [.. next.Values.Where(s => s.Active is not null).Select(s => s.Address.Key)];
        Stats.SetObserverSessions(next.Count);
    }
}
