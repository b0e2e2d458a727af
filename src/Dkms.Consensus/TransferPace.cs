using Dkms.Core.Primitives;

namespace Dkms.Consensus;

/// <summary>
/// How many bytes of this node's proposals reach a quorum per second, measured by consensus itself: from sending a
/// proposal to holding prevotes of more than 2/3 of the power for its block (the proposer's own included, so the
/// others' arrivals decide). A proposer caps the bytes of its next block by it, so that a proposal crosses its links
/// within a share of the propose timeout — the transfer counterpart of <see cref="ExecutionPace"/>.
/// </summary>
/// <remarks>
/// Why: a link carries what its transport's window allows per round trip (LiteNetLib's 64 packets on one reliable
/// ordered channel), so on a long link a block that executes in time can still take longer to arrive than the
/// validators wait for it; they prevote nil, round after round, and every new proposer queues another large block on
/// its links behind the last. The measurement sees what the whole path delivers (window, loss, a busy receiver) with
/// no model of the transport.
/// <para>The cap engages only after a proposal of this node missed its round (no prevote quorum for it before the
/// round ended): a chain whose proposals arrive in time keeps its full blocks. A missed proposal smaller than the
/// floor says nothing about the links (an empty block misses a round on a partition too) and is not counted. Once
/// engaged, a proposal that arrived moves the estimate a quarter of the way to its rate if it filled at least half of
/// its cap (smaller blocks are dominated by latency and would understate the rate) or if its rate is higher.</para>
/// <para>Local only, like <see cref="ExecutionPace"/>: it chooses what this node proposes, never what it accepts.
/// A Byzantine validator can withhold its prevotes, but the quorum does not need it (the f+1-th fastest arrival of
/// the honest rest decides); more than f withholding could shrink blocks to the floor — a liveness cost the same
/// validators could cause anyway by not voting.</para>
/// </remarks>
public sealed class TransferPace
{
    private const double Weight = 0.25;

    private readonly TimeProvider _time;
    private double _bytesPerSecond; // 0: not engaged (no proposal of this node has missed its round)
    private Sending? _pending;

    public TransferPace(TimeProvider time) => _time = time;

    /// <summary>The estimate in bytes per second; zero while not engaged.</summary>
    public double BytesPerSecond => _bytesPerSecond;

    /// <summary>Proposals of this node that reached a quorum in their round / that missed it (counted ones).</summary>
    public long Arrived { get; private set; }
    public long Missed { get; private set; }

    /// <summary>Proposals this node sent, and the size and byte cap of the last one.</summary>
    public long Sent { get; private set; }
    public int LastBytes { get; private set; }
    public int LastCapBytes { get; private set; }

    /// <summary>The proposal awaiting its outcome, if any.</summary>
    internal Sending? Pending => _pending;

    internal readonly record struct Sending(ulong Height, int Round, Hash32 Block, int Bytes, int CapBytes, int MinBytes, long At);

    /// <summary>This node sent a proposal of <paramref name="bytes"/> for <paramref name="block"/>, built under a cap of
    /// <paramref name="capBytes"/>. A proposal still pending counts as missed (its round ended without a quorum).</summary>
    public void OnSent(ulong height, int round, Hash32 block, int bytes, int capBytes, int minBytes)
    {
        if (_pending is not null) OnMissed();
        _pending = new Sending(height, round, block, bytes, capBytes, minBytes, _time.GetTimestamp());
        Sent++;
        LastBytes = bytes;
        LastCapBytes = capBytes;
    }

    /// <summary>A quorum prevoted (or precommitted) the pending proposal's block.</summary>
    public void OnArrived()
    {
        if (_pending is not { } p) return;
        _pending = null;
        Arrived++;
        if (_bytesPerSecond <= 0) return;
        var rate = Rate(p);
        if (rate > _bytesPerSecond || p.Bytes >= p.CapBytes / 2) _bytesPerSecond += Weight * (rate - _bytesPerSecond);
    }

    /// <summary>The pending proposal's round ended without a quorum for it.</summary>
    public void OnMissed()
    {
        if (_pending is not { } p) return;
        _pending = null;
        if (p.Bytes < p.MinBytes) return;
        Missed++;
        var rate = Rate(p);
        _bytesPerSecond = _bytesPerSecond <= 0 ? rate : Math.Min(_bytesPerSecond, rate);
    }

    private double Rate(Sending p)
    {
        var seconds = Math.Max(_time.GetElapsedTime(p.At).TotalSeconds, 1e-3);
        return p.Bytes / seconds;
    }

    /// <summary>The most bytes a block may hold so that it crosses the links within <paramref name="share"/> of
    /// <paramref name="timeout"/> at the estimated rate; at least <paramref name="minBytes"/> (the propose timeout grows
    /// per round, so a later round always fits more), at most <paramref name="limit"/>; <paramref name="limit"/> itself
    /// while not engaged or with the share zero.</summary>
    public int Cap(TimeSpan timeout, double share, int minBytes, int limit)
    {
        if (_bytesPerSecond <= 0 || share <= 0) return limit;
        var fits = _bytesPerSecond * share * timeout.TotalSeconds;
        return (int)Math.Clamp(Math.Floor(fits), Math.Min(minBytes, limit), limit);
    }

}
