using System.Net;
using LiteNetLib;

namespace Dkms.Network;

/// <summary>Why a connection request was turned away at connect time.</summary>
internal enum AdmissionVerdict
{
    Accepted,
    TooManyPendingFromSource,
    TooFastFromSource,
    TooManyPending,
    TooFastOverall,
    TooManySources,
}

/// <summary>
/// Decides connection requests by source address, on LiteNetLib's thread, before any handshake state exists, and
/// remembers the connections it accepted until they authenticate or close (so it also knows which connections
/// are incoming). Every source may hold a few pending handshakes and open new ones at a bounded rate; sources
/// where a validator lives (from the validator list) have their own, larger room that no other source's traffic
/// can use up, so a flood from elsewhere never keeps a validator out.
/// </summary>
internal sealed class ConnectionAdmission(TimeProvider time)
{
    /// <summary>Pending handshakes of all other sources together (the old global cap).</summary>
    public const int MaxPending = PeerNetwork.MaxPendingHandshakes;

    public const int MaxPendingPerSource = 4;

    /// <summary>Per validator living at a source; several validators may share one host.</summary>
    public const int MaxPendingPerValidatorAtSource = 8;

    /// <summary>New connections a source may open at once, then <see cref="RefillPerSecond"/> more each second.</summary>
    public const int Burst = 8;

    public const double RefillPerSecond = 2;

    /// <summary>
    /// New connections of all non-validator sources together, at once and then per second: bounds the handshake
    /// work (key generation, agreement, signature) that many addresses can make a node do.
    /// </summary>
    public const int OthersBurst = 64;

    public const double OthersRefillPerSecond = 32;

    /// <summary>Sources with state kept at once; beyond it, idle ones are forgotten and new ones refused.</summary>
    public const int MaxSources = 4096;

    private readonly Lock _lock = new();
    /// <summary>Accepted connections still pending, with their source and whether they hold one of the others' places.</summary>
    private readonly Dictionary<NetPeer, (SourceAddress Source, bool Other)> _pending = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<SourceAddress, Source> _sources = [];
    private Dictionary<SourceAddress, int> _validatorsAt = [];
    private readonly Source _others = new(time.GetTimestamp(), OthersBurst);
    private int _pendingOthers;

    /// <summary>Replaces the sources where validators live (validator count per source).</summary>
    public void SetValidatorSources(IEnumerable<IPAddress> addresses)
    {
        var counts = new Dictionary<SourceAddress, int>();
        foreach (var ip in addresses)
        {
            var source = SourceAddress.Of(ip);
            counts[source] = counts.GetValueOrDefault(source) + 1;
        }

        lock (_lock) _validatorsAt = counts;
    }

    /// <summary>Accepts the request (LiteNetLib's <c>Accept</c>, under the lock) or says why not.</summary>
    public AdmissionVerdict TryAccept(ConnectionRequest request)
    {
        var source = SourceAddress.Of(request.RemoteEndPoint.Address);
        lock (_lock)
        {
            var verdict = AdmitLocked(source, out var other);
            if (verdict != AdmissionVerdict.Accepted) return verdict;
            // Accept under the lock: the network thread asks IsIncoming when the connect event arrives.
            _pending[request.Accept()] = (source, other);
            return verdict;
        }
    }

    /// <summary>The decision alone, for tests: takes a pending place (and tokens) for the source when there is room.</summary>
    internal AdmissionVerdict Admit(SourceAddress source)
    {
        lock (_lock) return AdmitLocked(source, out _);
    }

    /// <summary>Gives back a place taken by <see cref="Admit"/>.</summary>
    internal void Release(SourceAddress source)
    {
        lock (_lock) ReleaseLocked(source, _validatorsAt.GetValueOrDefault(source) == 0);
    }

    /// <summary>True for a connection this node accepted (rather than dialed) that is still pending.</summary>
    public bool IsIncoming(NetPeer peer)
    {
        lock (_lock) return _pending.ContainsKey(peer);
    }

    /// <summary>Frees the pending place of a connection that authenticated or closed; harmless for any other.</summary>
    public void Release(NetPeer peer)
    {
        lock (_lock)
        {
            if (_pending.Remove(peer, out var place)) ReleaseLocked(place.Source, place.Other);
        }
    }

    /// <summary>Frees places of connections LiteNetLib dropped without telling (a safety net) and forgets idle sources.</summary>
    public void Sweep()
    {
        List<NetPeer>? gone = null;
        lock (_lock)
        {
            foreach (var peer in _pending.Keys)
            {
                if (peer.ConnectionState == ConnectionState.Disconnected) (gone ??= []).Add(peer);
            }
        }

        foreach (var peer in gone ?? []) Release(peer);
        lock (_lock) ForgetIdle(time.GetTimestamp());
    }

    /// <summary>Pending handshakes held by sources without a validator.</summary>
    public int PendingOthers
    {
        get
        {
            lock (_lock) return _pendingOthers;
        }
    }

    private AdmissionVerdict AdmitLocked(SourceAddress source, out bool other)
    {
        var now = time.GetTimestamp();
        var validators = _validatorsAt.GetValueOrDefault(source);
        other = validators == 0;
        var (capacity, refill) = validators > 0 ? (Burst * 4, RefillPerSecond * 4) : (Burst, RefillPerSecond);
        if (!_sources.TryGetValue(source, out var state))
        {
            if (_sources.Count >= MaxSources && validators == 0 && !ForgetIdle(now)) return AdmissionVerdict.TooManySources;
            state = new Source(now, capacity);
            _sources.Add(source, state);
        }

        var perSource = validators > 0 ? MaxPendingPerValidatorAtSource * validators : MaxPendingPerSource;
        if (state.Pending >= perSource) return AdmissionVerdict.TooManyPendingFromSource;
        if (validators == 0 && _pendingOthers >= MaxPending) return AdmissionVerdict.TooManyPending;
        if (!state.CanTake(now, time.TimestampFrequency, capacity, refill)) return AdmissionVerdict.TooFastFromSource;
        if (validators == 0 && !_others.CanTake(now, time.TimestampFrequency, OthersBurst, OthersRefillPerSecond))
        {
            return AdmissionVerdict.TooFastOverall;
        }

        state.Take();
        state.Pending++;
        if (validators == 0)
        {
            _others.Take();
            _pendingOthers++;
        }

        return AdmissionVerdict.Accepted;
    }

    private void ReleaseLocked(SourceAddress source, bool other)
    {
        if (_sources.TryGetValue(source, out var state)) state.Pending = Math.Max(0, state.Pending - 1);
        if (other) _pendingOthers--;
    }

    /// <summary>Drops sources with nothing pending and a full bucket (nothing to remember); true if any went.</summary>
    private bool ForgetIdle(long now)
    {
        var before = _sources.Count;
        foreach (var (source, state) in _sources)
        {
            var validators = _validatorsAt.GetValueOrDefault(source);
            var capacity = validators > 0 ? Burst * 4 : Burst;
            var refill = validators > 0 ? RefillPerSecond * 4 : RefillPerSecond;
            if (state.Pending == 0 && state.IsFull(now, time.TimestampFrequency, capacity, refill)) _sources.Remove(source);
        }

        return _sources.Count < before;
    }

    /// <summary>Pending handshakes and a token bucket of one source.</summary>
    private sealed class Source(long now, double tokens)
    {
        private double _tokens = tokens;
        private long _at = now;

        public int Pending { get; set; }

        public bool CanTake(long now, long frequency, int capacity, double refillPerSecond)
        {
            Refill(now, frequency, capacity, refillPerSecond);
            return _tokens >= 1;
        }

        public void Take() => _tokens--;

        public bool IsFull(long now, long frequency, int capacity, double refillPerSecond)
        {
            Refill(now, frequency, capacity, refillPerSecond);
            return _tokens >= capacity;
        }

        private void Refill(long now, long frequency, int capacity, double refillPerSecond)
        {
            _tokens = Math.Min(capacity, _tokens + ((double)(now - _at) / frequency * refillPerSecond));
            _at = now;
        }
    }
}
