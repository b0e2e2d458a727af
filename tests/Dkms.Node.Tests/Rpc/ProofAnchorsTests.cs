using Dkms.Core.Blocks;
using Dkms.Core.Primitives;
using Dkms.Node.Rpc;

namespace Dkms.Node.Tests.Rpc;

/// <summary>The per-height cache of certified headers and certificates that anchor the proofs the RPC serves.</summary>
public sealed class ProofAnchorsTests
{
    private static BlockHeader Header(ulong height) =>
        new("anchors", height, 0, Hash32.Sha256([(byte)height]), Hash32.Zero, Hash32.Sha256([1, (byte)height]), new PublicKey(new byte[32]), 1_000 + (long)height);

    private static CommitCertificate Certificate(ulong height) =>
        new(height, 0, Header(height).ComputeHash(), [new CommitSignature(new PublicKey(new byte[32]), new byte[64])]);

    /// <summary>A store that holds blocks 1..<paramref name="top"/> and counts how often it is asked.</summary>
    private sealed class Store(ulong top)
    {
        public int Reads { get; private set; }

        public ProofAnchor? Read(ulong height)
        {
            Reads++;
            return height is >= 1 && height <= top ? ProofAnchor.Of(Header(height), Certificate(height)) : null;
        }
    }

    [Fact]
    public void A_height_is_read_from_the_store_once_however_many_proofs_ask_for_it()
    {
        var store = new Store(10);
        var anchors = new ProofAnchors(8, store.Read);
        for (var i = 0; i < 100; i++) Assert.Equal(7UL, anchors.Get(7)!.Height);
        Assert.Equal(1, store.Reads);
    }

    [Fact]
    public void A_committed_height_is_served_without_reading_the_store_and_is_what_the_store_holds()
    {
        var store = new Store(10);
        var anchors = new ProofAnchors(8, store.Read);
        anchors.Committed(Header(3), Certificate(3));
        Assert.Equal(ProofAnchor.Of(Header(3), Certificate(3)), anchors.Get(3));
        Assert.Equal(0, store.Reads);
        Assert.Equal(store.Read(3), anchors.Get(3));
    }

    [Fact]
    public void A_slot_taken_by_a_later_height_never_answers_for_the_earlier_height_nor_the_earlier_for_the_later()
    {
        var store = new Store(20);
        var anchors = new ProofAnchors(4, store.Read);
        // Heights 2, 6, 10 share a slot of four.
        anchors.Committed(Header(2), Certificate(2));
        Assert.Equal(ProofAnchor.Of(Header(6), Certificate(6)), anchors.Get(6));
        Assert.Equal(ProofAnchor.Of(Header(2), Certificate(2)), anchors.Get(2));
        anchors.Committed(Header(10), Certificate(10));
        Assert.Equal(ProofAnchor.Of(Header(6), Certificate(6)), anchors.Get(6));
        Assert.Equal(ProofAnchor.Of(Header(10), Certificate(10)), anchors.Get(10));
        Assert.Equal(2UL, anchors.Get(2)!.Height);
    }

    [Fact]
    public void A_height_without_a_certified_block_has_no_anchor_and_is_not_remembered_as_missing()
    {
        var store = new Store(0);
        var anchors = new ProofAnchors(4, store.Read);
        Assert.Null(anchors.Get(1));
        Assert.Null(anchors.Get(1));
        Assert.Equal(2, store.Reads);
    }

    [Fact]
    public void A_store_answering_for_another_height_is_refused_not_served()
    {
        var anchors = new ProofAnchors(4, _ => ProofAnchor.Of(Header(9), Certificate(9)));
        Assert.Throws<InvalidOperationException>(() => anchors.Get(5));
    }
}
