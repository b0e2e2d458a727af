using System.Collections.Concurrent;
using Dkms.Core.Primitives;

namespace Dkms.Consensus;

/// <summary>Why a message from a peer was dropped.</summary>
public enum DropReason : byte
{
    /// <summary>Did not decode, or a shape the protocol does not allow (nil field, wrong length, oversized list).</summary>
    Malformed,
    /// <summary>A proposal or vote whose signer is not the peer that sent it (validators speak only for themselves).</summary>
    NotOwnMessage,
    /// <summary>Sender or signer is not a validator of the message's height (as far as known), or not its proposer.</summary>
    NotValidator,
    BadSignature,
    /// <summary>A block whose transactions do not match its header's transaction root.</summary>
    TamperedBlock,
    /// <summary>A certificate that does not verify against the validator set of its height.</summary>
    BadCertificate,
    /// <summary>The same signed message again (normal: re-broadcasts), or a further conflicting one (equivocation seen).</summary>
    Duplicate,
    /// <summary>A height or round outside the window kept (far future, far-ahead round).</summary>
    OutOfWindow,
    /// <summary>The peer's share of the future-height buffer is full.</summary>
    BufferFull,
    /// <summary>The peer's share of the engine's event queue is full (the loop is behind).</summary>
    QueueFull,
    /// <summary>More catch-up block responses from this peer at one height than are ever needed.</summary>
    TooManyResponses,
    /// <summary>More block requests from this peer than are served per catch-up delay (each answer is a whole block).</summary>
    RateLimited,
    /// <summary>The peer sent <see cref="IntakeBounds.StrikesPerPeerPerHeight"/> messages with bad signatures or tampered
    /// blocks at this height: its proposals and votes are dropped unverified until the next height.</summary>
    Strikes,
}

public static class DropReasons
{
    /// <summary>True for what an honest validator never sends; false for what normal traffic produces too (re-broadcast
    /// duplicates, a peer ahead of us, a full queue while this node is busy).</summary>
    public static bool IsMisbehaviour(this DropReason reason) =>
        reason is DropReason.Malformed or DropReason.NotOwnMessage or DropReason.NotValidator or DropReason.BadSignature
            or DropReason.TamperedBlock or DropReason.BadCertificate or DropReason.TooManyResponses or DropReason.Strikes;
}

/// <summary>
/// Messages dropped at intake, counted per peer and reason. Thread-safe: the driver counts undecodable bytes on
/// transport threads, the state machine the rest on its loop. Peers are the transport's authenticated keys (a
/// bounded set); past <see cref="MaxPeers"/> distinct keys, further ones are counted under the zero key.
/// </summary>
public sealed class IntakeStats
{
    public const int MaxPeers = 1024;

    private readonly ConcurrentDictionary<(PublicKey Peer, DropReason Reason), Counter> _counts = new();
    private readonly ConcurrentDictionary<PublicKey, byte> _peers = new();
    private readonly TimeProvider _time;
    private readonly TimeSpan _logInterval;
    private long _signatureChecks;

    public IntakeStats(TimeProvider time, TimeSpan logInterval)
    {
        _time = time;
        _logInterval = logInterval;
    }

    /// <summary>Raised on the counting thread for every drop (e.g. to feed node metrics).</summary>
    public event Action<PublicKey, DropReason>? Dropped;

    /// <summary>Signatures verified at intake (proposals and votes).</summary>
    public long SignatureChecks => Interlocked.Read(ref _signatureChecks);

    public long this[PublicKey peer, DropReason reason] => _counts.TryGetValue((peer, reason), out var c) ? Interlocked.Read(ref c.Count) : 0;

    public long Total(DropReason reason) => _counts.Where(kv => kv.Key.Reason == reason).Sum(kv => Interlocked.Read(ref kv.Value.Count));

    public long Total() => _counts.Values.Sum(c => Interlocked.Read(ref c.Count));

    public IReadOnlyDictionary<(PublicKey Peer, DropReason Reason), long> Snapshot() =>
        _counts.ToDictionary(kv => kv.Key, kv => Interlocked.Read(ref kv.Value.Count));

    internal void CountSignatureCheck() => Interlocked.Increment(ref _signatureChecks);

    /// <summary>Counts a drop; true when it should be logged (the first for this peer and reason in each log interval),
    /// with the number of drops not logged since the last one.</summary>
    public bool Count(PublicKey peer, DropReason reason, out long unlogged)
    {
        if (!_peers.ContainsKey(peer) && (_peers.Count >= MaxPeers || !_peers.TryAdd(peer, 0))) peer = default;
        var c = _counts.GetOrAdd((peer, reason), _ => new Counter());
        Interlocked.Increment(ref c.Count);
        Dropped?.Invoke(peer, reason);
        return c.Limiter.ShouldLog(_time, _logInterval, out unlogged);
    }

    private sealed class Counter
    {
        public long Count;
        public readonly LogLimiter Limiter = new();
    }
}

/// <summary>At most one log line per interval; counts what it held back.</summary>
public sealed class LogLimiter
{
    private readonly Lock _lock = new();
    private DateTimeOffset _last = DateTimeOffset.MinValue;
    private long _held;

    public bool ShouldLog(TimeProvider time, TimeSpan interval, out long heldBack)
    {
        var now = time.GetUtcNow();
        lock (_lock)
        {
            if (_last != DateTimeOffset.MinValue && now - _last < interval)
            {
                _held++;
                heldBack = 0;
                return false;
            }

            heldBack = _held;
            _held = 0;
            _last = now;
            return true;
        }
    }
}
