using Dkms.Core.Blocks;
using Dkms.Core.Encoding;

namespace Dkms.Node.Rpc;

/// <summary>What anchors a state proof at one height: the certified header and its commit certificate, encoded as the
/// RPC sends them (base64 of the canonical encodings).</summary>
public sealed record ProofAnchor(ulong Height, string Header, string Certificate)
{
    public static ProofAnchor Of(BlockHeader header, CommitCertificate certificate) =>
        new(header.Height, Convert.ToBase64String(Codec.Encode(header)), Convert.ToBase64String(Codec.Encode(certificate)));
}

/// <summary>
/// The proof anchors of the last heights, so a proof request does not read and decode its height's whole block (every
/// transaction in it) and encode the header and certificate again: a committed height's header and certificate never
/// change, so each is encoded once — at commit (<see cref="Committed"/>), or by the first request for an older height.
/// <para>
/// One slot per height modulo the capacity; an entry names its height and is served only for that height, so a slot
/// reused by a later height can never answer for the earlier one. Readers take no lock: a slot holds an immutable
/// record, replaced whole.
/// </para>
/// </summary>
public sealed class ProofAnchors
{
    private readonly ProofAnchor?[] _slots;
    private readonly Func<ulong, ProofAnchor?> _read;
    private long _reads;

    /// <param name="read">The anchor of a height from the store, or null when that height has no certified block.</param>
    public ProofAnchors(int capacity, Func<ulong, ProofAnchor?> read)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _slots = new ProofAnchor?[capacity];
        _read = read;
    }

    /// <summary>Anchors read from the store (cache misses), for tests and metrics.</summary>
    public long StoreReads => Interlocked.Read(ref _reads);

    /// <summary>The anchor of <paramref name="height"/>, or null when that height has no certified block.</summary>
    public ProofAnchor? Get(ulong height)
    {
        ref var slot = ref _slots[height % (ulong)_slots.Length];
        if (Volatile.Read(ref slot) is { } cached && cached.Height == height) return cached;
        Interlocked.Increment(ref _reads);
        var read = _read(height);
        if (read is null) return null;
        // A store that answered for another height is damaged: serve nothing rather than a wrong anchor.
        if (read.Height != height) throw new InvalidOperationException($"the block stored at height {height} says it is at height {read.Height}");
        Volatile.Write(ref slot, read);
        return read;
    }

    /// <summary>A block was committed (called on the consensus loop): its anchor is the one every proof at the new latest
    /// height needs.</summary>
    public void Committed(BlockHeader header, CommitCertificate certificate) =>
        Volatile.Write(ref _slots[header.Height % (ulong)_slots.Length], ProofAnchor.Of(header, certificate));
}
