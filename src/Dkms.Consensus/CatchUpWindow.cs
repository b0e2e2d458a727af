using Dkms.Core.Blocks;
using Dkms.Core.Primitives;

namespace Dkms.Consensus;

/// <summary>
/// Catch-up with several blocks in flight (docs/consensus.md, "Catch-up"): the heights after the current one that this
/// node asked of which peer, and the answers held until their height comes. Only bookkeeping: nothing here is verified —
/// a held block goes through every check of a catch-up response (certificate against the validator set of its height,
/// transactions against its header, execution against its state root) only when it is the block of the current height,
/// so a peer cannot make the node skip or reorder heights. Bounded whatever peers send: only an answer to a request of
/// this node (that height, asked of that peer) is held, one per height, within <see cref="IntakeBounds.CatchUpLookahead"/>
/// heights and a byte budget; a request goes to at most <see cref="IntakeBounds.CatchUpInFlightPerPeer"/> heights per peer
/// and <see cref="IntakeBounds.CatchUpRequestsPerPeerPerCatchUpDelay"/> requests per peer and catch-up delay (below what
/// a peer serves, <see cref="IntakeBounds.ServedBlocksPerPeerPerCatchUpDelay"/>, so pacing needs no dropped request).
/// Loop thread only.
/// </summary>
internal sealed class CatchUpWindow
{
    private readonly Dictionary<ulong, (PublicKey Peer, DateTimeOffset At)> _asked = new();
    private readonly Dictionary<ulong, Held> _held = new();
    private readonly Dictionary<PublicKey, ulong> _sources = new(); // peers that showed blocks, and the highest one shown
    // A height a source left unanswered, and when: it is asked nothing above what it has shown until the lack is old
    // (a node at the chain's frontier would otherwise ask its sources for heights they do not have after every block).
    private readonly Dictionary<PublicKey, (ulong Height, DateTimeOffset At)> _lacks = new();
    private readonly Dictionary<PublicKey, (DateTimeOffset Since, int Count)> _sent = new();
    private readonly long _maxHeldBytes;

    public CatchUpWindow(long maxHeldBytes) => _maxHeldBytes = maxHeldBytes;

    public sealed record Held(PublicKey Peer, Block Block, CommitCertificate Certificate, long Bytes);

    /// <summary>Blocks held for later heights, and their estimated bytes.</summary>
    public int HeldCount => _held.Count;
    public long HeldBytes { get; private set; }

    /// <summary>Heights asked ahead and not answered yet.</summary>
    public int AskedCount => _asked.Count;

    /// <summary><paramref name="peer"/> holds committed blocks up to <paramref name="height"/> at least — it sent a block
    /// that passed every check or that this node has committed, or (a validator) messages of a later height: it becomes a
    /// source to ask ahead of. A block of a later height, not checkable yet, makes no source.</summary>
    public void Shown(PublicKey peer, ulong height)
    {
        if (!_sources.ContainsKey(peer) && _sources.Count >= IntakeBounds.MaxTrackedPeers) _sources.Clear();
        _sources[peer] = Math.Max(_sources.GetValueOrDefault(peer), height);
        if (_lacks.TryGetValue(peer, out var lack) && height >= lack.Height) _lacks[peer] = (height + 1, lack.At);
    }

    /// <summary>A request sent outside <see cref="Fill"/> (the block of the current height, asked of a peer seen ahead)
    /// spends the peer's budget too.</summary>
    public void CountSent(PublicKey peer, DateTimeOffset now, TimeSpan delay)
    {
        MaySend(peer, now, delay);
        Spend(peer);
    }

    /// <summary>One request of the peer's current budget window spent.</summary>
    private void Spend(PublicKey peer)
    {
        var window = _sent.GetValueOrDefault(peer);
        _sent[peer] = (window.Since, window.Count + 1);
    }

    public bool IsSource(PublicKey peer) => _sources.ContainsKey(peer);

    /// <summary>Whether <paramref name="height"/> was asked of <paramref name="peer"/> and not answered yet.</summary>
    public bool IsAsked(ulong height, out PublicKey peer)
    {
        var found = _asked.TryGetValue(height, out var a);
        peer = a.Peer;
        return found;
    }

    /// <summary>The block of <paramref name="height"/> came from <paramref name="peer"/> and was taken: true if it answered
    /// a request ahead of this node (the request is settled).</summary>
    public bool Answered(ulong height, PublicKey peer)
    {
        if (!_asked.TryGetValue(height, out var asked) || asked.Peer != peer) return false;
        _asked.Remove(height);
        return true;
    }

    /// <summary>Holds an answer: true if it answers this node's request of that height to that peer and fits the
    /// budget; else the reason it is dropped (<see cref="DropReason.OutOfWindow"/>: not asked of this peer,
    /// <see cref="DropReason.BufferFull"/>: no room — the height is asked again later).</summary>
    public bool TryHold(PublicKey peer, Block block, CommitCertificate certificate, out DropReason reason)
    {
        var height = block.Height;
        reason = DropReason.OutOfWindow;
        if (!_asked.TryGetValue(height, out var asked) || asked.Peer != peer || certificate.Height != height) return false;
        _asked.Remove(height);
        var bytes = EstimateBytes(block, certificate);
        if (_held.ContainsKey(height) || HeldBytes + bytes > _maxHeldBytes)
        {
            reason = DropReason.BufferFull;
            return false;
        }

        _held[height] = new Held(peer, block, certificate, bytes);
        HeldBytes += bytes;
        return true;
    }

    /// <summary>Takes the block held for <paramref name="height"/>, if any.</summary>
    public Held? Take(ulong height)
    {
        if (!_held.Remove(height, out var held)) return null;
        HeldBytes -= held.Bytes;
        return held;
    }

    public bool Holds(ulong height) => _held.ContainsKey(height);

    /// <summary>A source other than <paramref name="but"/> (the one with the fewest heights in flight), if any.</summary>
    public PublicKey? SourceOtherThan(PublicKey but)
    {
        PublicKey? best = null;
        var fewest = int.MaxValue;
        foreach (var peer in _sources.Keys)
        {
            if (peer == but) continue;
            var count = _asked.Values.Count(a => a.Peer == peer);
            if (count < fewest) (best, fewest) = (peer, count);
        }

        return best;
    }

    /// <summary>A source whose block failed a check is asked nothing more until it shows a block again.</summary>
    public void Distrust(PublicKey peer) => _sources.Remove(peer);

    /// <summary>The node entered <paramref name="height"/>: what is below it is no longer needed.</summary>
    public void Advance(ulong height)
    {
        foreach (var h in _held.Keys.Where(h => h < height).ToList()) Take(h);
        foreach (var h in _asked.Keys.Where(h => h < height).ToList()) _asked.Remove(h);
    }

    /// <summary>The requests to send now for heights <paramref name="from"/> .. +<see cref="IntakeBounds.CatchUpLookahead"/>
    /// - 1 neither held nor asked (a request unanswered after <paramref name="delay"/> is given up, and its peer is asked
    /// nothing above what it has shown for a while, <see cref="Lacks"/>): each to the source with the fewest heights in flight that is
    /// within its bounds.</summary>
    public List<(PublicKey Peer, ulong Height)> Fill(ulong from, DateTimeOffset now, TimeSpan delay, out TimeSpan? retry)
    {
        var requests = new List<(PublicKey, ulong)>();
        retry = null;
        foreach (var (h, a) in _asked.ToList())
        {
            if (now - a.At < delay) continue;
            _asked.Remove(h);
            if (!_lacks.ContainsKey(a.Peer) && _lacks.Count >= IntakeBounds.MaxTrackedPeers) _lacks.Clear();
            var lack = _lacks.GetValueOrDefault(a.Peer, (Height: ulong.MaxValue, At: now));
            _lacks[a.Peer] = (Math.Min(lack.Height, h), now);
        }

        if (_sources.Count == 0) return requests;
        var inFlight = _sources.Keys.ToDictionary(p => p, _ => 0);
        foreach (var a in _asked.Values)
        {
            if (inFlight.ContainsKey(a.Peer)) inFlight[a.Peer]++;
        }

        for (var h = from; h < from + (ulong)IntakeBounds.CatchUpLookahead; h++)
        {
            if (_held.ContainsKey(h) || _asked.ContainsKey(h)) continue;
            PublicKey? best = null;
            foreach (var (peer, count) in inFlight)
            {
                if (count >= IntakeBounds.CatchUpInFlightPerPeer || Lacks(peer, h, now, delay) || !MaySend(peer, now, delay)) continue;
                if (best is null || count < inFlight[best.Value]) best = peer;
            }

            if (best is not { } chosen)
            {
                // Held back by a request budget only: ask again when the earliest one opens.
                retry = BudgetOpens(inFlight.Keys, h, now, delay);
                break;
            }

            inFlight[chosen]++;
            _asked[h] = (chosen, now);
            Spend(chosen);
            requests.Add((chosen, h));
        }

        return requests;
    }

    /// <summary>When the first request budget of a source that could be asked <paramref name="height"/> but for its
    /// budget opens again; null if none is held back by its budget alone.</summary>
    private TimeSpan? BudgetOpens(IEnumerable<PublicKey> peers, ulong height, DateTimeOffset now, TimeSpan delay)
    {
        TimeSpan? first = null;
        foreach (var peer in peers)
        {
            if (Lacks(peer, height, now, delay) || !_sent.TryGetValue(peer, out var window) || window.Count < IntakeBounds.CatchUpRequestsPerPeerPerCatchUpDelay) continue;
            var opens = window.Since + delay - now;
            if (first is null || opens < first) first = opens;
        }

        return first is { } t && t < TimeSpan.Zero ? TimeSpan.Zero : first;
    }

    /// <summary>Whether <paramref name="peer"/> is known to lack <paramref name="height"/>: it left a request at or below it
    /// unanswered, less than <see cref="LackDelays"/> catch-up delays ago, and has shown no block as high since.</summary>
    private bool Lacks(PublicKey peer, ulong height, DateTimeOffset now, TimeSpan delay)
    {
        if (!_lacks.TryGetValue(peer, out var lack)) return false;
        if (now - lack.At >= delay * LackDelays)
        {
            _lacks.Remove(peer);
            return false;
        }

        return height >= lack.Height;
    }

    /// <summary>How long (in catch-up delays) a source found lacking a height is asked only what it has shown.</summary>
    private const int LackDelays = 10;

    /// <summary>Within the peer's request budget of this catch-up delay (opens a new window when the last one ended).</summary>
    private bool MaySend(PublicKey peer, DateTimeOffset now, TimeSpan delay)
    {
        if (!_sent.TryGetValue(peer, out var window) || now - window.Since >= delay)
        {
            if (!_sent.ContainsKey(peer) && _sent.Count >= IntakeBounds.MaxTrackedPeers) _sent.Clear();
            _sent[peer] = (now, 0);
            return true;
        }

        return window.Count < IntakeBounds.CatchUpRequestsPerPeerPerCatchUpDelay;
    }

    /// <summary>The bytes a held answer takes, near enough for a budget: its transactions with their framing, and room
    /// for header and certificate.</summary>
    private static long EstimateBytes(Block block, CommitCertificate certificate)
    {
        long bytes = 1024 + 128L * certificate.Signatures.Count;
        foreach (var t in block.Transactions) bytes += t.Length + 8;
        return bytes;
    }
}
