using Dkms.Core.Blocks;
using Dkms.Core.Crypto;
using Dkms.Core.Encoding;
using Dkms.Core.Primitives;

namespace Dkms.Consensus.Tests;

public sealed class BlockTypesTests
{
    private static PublicKey Key(int i) => Ed25519Signer.FromSeed(TestNet.Seed(i)).PublicKey;

    [Theory]
    [InlineData(new long[] { 1, 1, 1, 1 })]
    [InlineData(new long[] { 10, 10, 10, 10 })]
    [InlineData(new long[] { 2, 1, 1 })]
    [InlineData(new long[] { 5, 3, 1, 1 })]
    public void Proposers_rotate_in_proportion_to_power_without_long_runs(long[] powers)
    {
        var set = new ValidatorSet(powers.Select((p, i) => new Validator(Key(i), p)));
        var g = powers.Aggregate((a, b) => b == 0 ? a : Gcd(a, b));
        var cycle = powers.Sum() / g;
        var turns = Enumerable.Range(0, (int)cycle).Select(k => set.Proposer((ulong)k, 0)).ToArray();
        for (var i = 0; i < powers.Length; i++) Assert.Equal(powers[i] / g, turns.Count(t => t == Key(i)));

        // The same answer for (h, r) and (h + 1, r - 1): rotation is by h + r, and deterministic.
        Assert.Equal(set.Proposer(7, 3), set.Proposer(8, 2));
        var longestRun = turns.Select((t, k) => turns.Skip(k).TakeWhile(x => x == t).Count()).Max();
        Assert.True(longestRun <= (powers.Max() / g + 1) / 2 + 1, $"run of {longestRun}");
    }

    private static long Gcd(long a, long b) => b == 0 ? a : Gcd(b, a % b);

    [Theory]
    [InlineData(4, 40, 27)]
    [InlineData(3, 3, 3)]
    [InlineData(7, 70, 47)]
    public void Quorum_is_more_than_two_thirds_of_the_power(int n, long total, long quorum)
    {
        var set = new ValidatorSet(Enumerable.Range(0, n).Select(i => new Validator(Key(i), total / n)));
        Assert.Equal(quorum, set.QuorumPower);
        Assert.True(set.QuorumPower * 3 > set.TotalPower * 2);
        Assert.True((set.QuorumPower - 1) * 3 <= set.TotalPower * 2);
    }

    [Fact]
    public void A_vote_signature_does_not_verify_as_another_type_round_or_chain()
    {
        using var signer = Ed25519Signer.FromSeed(TestNet.Seed(0));
        var hash = Hash32.Sha256("block"u8);
        var vote = Vote.Create(signer, "chain", VoteType.Prevote, 5, 1, hash);
        Assert.True(vote.VerifySignature("chain"));
        Assert.False(vote.VerifySignature("other"));
        Assert.False(new Vote(VoteType.Precommit, 5, 1, hash, vote.Validator, vote.Signature).VerifySignature("chain"));
        Assert.False(new Vote(VoteType.Prevote, 5, 2, hash, vote.Validator, vote.Signature).VerifySignature("chain"));
        Assert.False(new Vote(VoteType.Prevote, 5, 1, Hash32.Zero, vote.Validator, vote.Signature).VerifySignature("chain"));
    }

    [Fact]
    public void The_block_hash_covers_every_header_field_and_survives_encoding()
    {
        var h = new BlockHeader("c", 1, 0, Hash32.Zero, Hash32.Zero, Hash32.Zero, Key(0), 1000);
        var variants = new[]
        {
            new BlockHeader("d", 1, 0, Hash32.Zero, Hash32.Zero, Hash32.Zero, Key(0), 1000),
            new BlockHeader("c", 2, 0, Hash32.Zero, Hash32.Zero, Hash32.Zero, Key(0), 1000),
            new BlockHeader("c", 1, 1, Hash32.Zero, Hash32.Zero, Hash32.Zero, Key(0), 1000),
            new BlockHeader("c", 1, 0, Hash32.Sha256("p"u8), Hash32.Zero, Hash32.Zero, Key(0), 1000),
            new BlockHeader("c", 1, 0, Hash32.Zero, Hash32.Sha256("t"u8), Hash32.Zero, Key(0), 1000),
            new BlockHeader("c", 1, 0, Hash32.Zero, Hash32.Zero, Hash32.Sha256("s"u8), Key(0), 1000),
            new BlockHeader("c", 1, 0, Hash32.Zero, Hash32.Zero, Hash32.Zero, Key(1), 1000),
            new BlockHeader("c", 1, 0, Hash32.Zero, Hash32.Zero, Hash32.Zero, Key(0), 1001),
        };
        Assert.All(variants, v => Assert.NotEqual(h.ComputeHash(), v.ComputeHash()));

        var block = new Block(h, [new byte[] { 1, 2 }]);
        var decoded = Codec.Decode<Block>(Codec.Encode(block));
        Assert.Equal(block.Hash, decoded.Hash);
        Assert.Equal(block.Transactions[0], decoded.Transactions[0]);
    }

    [Theory]
    [InlineData(1UL)]
    [InlineData(2UL)]
    public void A_proposals_signature_does_not_verify_as_a_vote_with_the_same_fields(ulong height)
    {
        // Without a domain per kind, a proposal (chain, height, round, valid round, hash) at height 1 or 2 has the same
        // sign bytes as a vote (chain, type = height, height = round, round = valid round, hash): false evidence.
        using var signer = Ed25519Signer.FromSeed(TestNet.Seed(3));
        var txs = new[] { new byte[] { 1, 2, 3 } };
        var header = new BlockHeader(TestNet.ChainId, height, 0, Hash32.Zero, Block.ComputeTransactionRoot(txs), Hash32.Zero, signer.PublicKey, 1);
        var proposal = Proposal.Create(signer, TestNet.ChainId, height, round: 7, validRound: 5, new Block(header, txs));
        var vote = new Vote((VoteType)height, 7, 5, proposal.Block.Hash, signer.PublicKey, proposal.Signature);

        Assert.True(proposal.VerifySignature(TestNet.ChainId));
        Assert.False(vote.VerifySignature(TestNet.ChainId));
    }
}
