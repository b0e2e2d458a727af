using Dkms.Core.Blocks;
using Dkms.Core.Crypto;
using Dkms.Core.Encoding;
using Dkms.Core.Primitives;

namespace Dkms.Core.Tests.Blocks;

/// <summary>What a decoded block, vote or certificate must look like before anything reads it (issue 16 item 1), and
/// the binding of a block's transactions to its header (item 3).</summary>
public sealed class BlockShapeTests
{
    private static readonly BlockLimits Limits = new(3, 100);
    private static readonly Ed25519Signer Key = Ed25519Signer.FromSeed(new byte[32]);

    private static BlockHeader Header(IReadOnlyList<byte[]> txs) =>
        new("chain", 1, 0, Hash32.Zero, Block.ComputeTransactionRoot(txs), Hash32.Zero, Key.PublicKey, 1);

    [Fact]
    public void A_well_formed_block_passes()
    {
        byte[][] txs = [[1], [2, 3]];
        Assert.True(BlockShape.Check(new Block(Header(txs), txs), Limits, out var why), why);
    }

    public static TheoryData<string, Block?> BadBlocks()
    {
        byte[][] txs = [[1]];
        return new TheoryData<string, Block?>
        {
            { "block is missing", null },
            { "header is missing", new Block(null!, txs) },
            { "transaction list is missing", new Block(Header(txs), null!) },
            { "transaction 1 is missing", new Block(Header(txs), [[1], null!]) },
            { "4 transactions, more than the chain's 3", new Block(Header(txs), [[1], [2], [3], [4]]) },
            { "101 bytes of transactions, more than the chain's 100", new Block(Header(txs), [new byte[101]]) },
            { "header chain id is missing", new Block(new BlockHeader(null!, 1, 0, Hash32.Zero, Hash32.Zero, Hash32.Zero, Key.PublicKey, 1), txs) },
            { "header height is zero", new Block(new BlockHeader("chain", 0, 0, Hash32.Zero, Hash32.Zero, Hash32.Zero, Key.PublicKey, 1), txs) },
            { "header round is negative", new Block(new BlockHeader("chain", 1, -1, Hash32.Zero, Hash32.Zero, Hash32.Zero, Key.PublicKey, 1), txs) },
        };
    }

    [Theory]
    [MemberData(nameof(BadBlocks))]
    public void A_block_of_a_disallowed_shape_is_refused_with_the_reason(string reason, Block? block)
    {
        Assert.False(BlockShape.Check(block, Limits, out var why));
        Assert.Equal(reason, why);
    }

    [Fact]
    public void Votes_and_certificates_need_every_signature_at_its_size()
    {
        var vote = Vote.Create(Key, "chain", VoteType.Prevote, 1, 0, Hash32.Zero);
        Assert.True(BlockShape.Check(vote, out _));
        Assert.False(BlockShape.Check(new Vote(VoteType.Prevote, 1, 0, Hash32.Zero, Key.PublicKey, null!), out _));
        Assert.False(BlockShape.Check(new Vote(VoteType.Prevote, 1, 0, Hash32.Zero, Key.PublicKey, new byte[63]), out _));
        Assert.False(BlockShape.Check(new Vote((VoteType)3, 1, 0, Hash32.Zero, Key.PublicKey, vote.Signature), out _));
        Assert.False(BlockShape.Check((Vote?)null, out _));

        var hash = Hash32.Sha256("b"u8);
        Assert.True(BlockShape.Check(new CommitCertificate(1, 0, hash, [new CommitSignature(Key.PublicKey, new byte[64])]), out _));
        Assert.False(BlockShape.Check(new CommitCertificate(1, 0, hash, null!), out _));
        Assert.False(BlockShape.Check(new CommitCertificate(1, 0, hash, [new CommitSignature(Key.PublicKey, null!)]), out _));
        Assert.False(BlockShape.Check(new CommitCertificate(1, 0, Hash32.Zero, [new CommitSignature(Key.PublicKey, new byte[64])]), out _));
        var tooMany = Enumerable.Range(0, BlockLimits.MaxCertificateSignatures + 1).Select(_ => new CommitSignature(Key.PublicKey, new byte[64])).ToArray();
        Assert.False(BlockShape.Check(new CommitCertificate(1, 0, hash, tooMany), out var why));
        Assert.Contains("more than", why, StringComparison.Ordinal);
    }

    [Fact]
    public void A_block_carrying_other_transactions_than_its_header_commits_to_keeps_its_hash_but_fails_the_root_check()
    {
        byte[][] txs = [[1], [2]];
        var header = Header(txs);
        var honest = Codec.Decode<Block>(Codec.Encode(new Block(header, txs)));
        var altered = Codec.Decode<Block>(Codec.Encode(new Block(header, [[1], [9]])));

        Assert.Equal(honest.Hash, altered.Hash); // the header is what is signed and voted on
        Assert.True(honest.TransactionRootMatches());
        Assert.False(altered.TransactionRootMatches());
    }
}
