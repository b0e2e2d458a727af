using Dkms.Consensus;
using Dkms.Core.Blocks;
using Dkms.Core.Crypto;
using Dkms.Core.Genesis;
using Dkms.Core.Primitives;

namespace Dkms.Adversary;

/// <summary>
/// Builds protocol messages that carry the adversary's valid signature: they pass every check a node makes before
/// looking at a message's content, so the content checks are what gets attacked. The validator key signs votes
/// for anything, proposals for the rounds in which this validator is the proposer, and adds its precommit to
/// honest ones to make commit certificates for blocks of its choosing.
/// </summary>
public sealed class Forge(string chainId, ISigner key, ValidatorSet validators)
{
    public static Forge ForGenesis(GenesisDocument genesis, ISigner key) => new(genesis.ChainId, key, genesis.ValidatorSet());

    public string ChainId => chainId;

    public PublicKey Key => key.PublicKey;

    public Vote Vote(VoteType type, ulong height, int round, Hash32 block) => Core.Blocks.Vote.Create(key, chainId, type, height, round, block);

    /// <summary>The first round at or after <paramref name="from"/> in which this validator proposes at <paramref name="height"/>
    /// (−1 if none within the next <paramref name="within"/> rounds, e.g. when it is not a validator).</summary>
    public int OwnRound(ulong height, int from, int within = 64)
    {
        if (!validators.Contains(key.PublicKey)) return -1;
        for (var r = Math.Max(0, from); r < from + within; r++)
        {
            if (validators.Proposer(height, r) == key.PublicKey) return r;
        }

        return -1;
    }

    /// <summary>A proposal signed by this validator (valid only in a round where it is the proposer).</summary>
    public Proposal Proposal(ulong height, int round, int validRound, Block block) =>
        Consensus.Proposal.Create(key, chainId, height, round, validRound, block);

    /// <summary>A block header in this validator's name; the caller picks what to get wrong.</summary>
    public BlockHeader Header(ulong height, int round, Hash32 previous, IReadOnlyList<byte[]> txs, Hash32 stateRoot, long timestampMs) =>
        new(chainId, height, round, previous, Block.ComputeTransactionRoot(txs), stateRoot, key.PublicKey, timestampMs);

    /// <summary>
    /// A certificate for <paramref name="block"/> from the honest precommits seen plus this validator's own; null when
    /// those are not a quorum.
    /// </summary>
    public CommitCertificate? Certificate(ulong height, int round, Hash32 block, IReadOnlyList<Vote> honestPrecommits)
    {
        var votes = honestPrecommits.Where(v => v.Validator != key.PublicKey).ToList();
        if (validators.Contains(key.PublicKey)) votes.Add(Vote(VoteType.Precommit, height, round, block));
        var power = votes.Sum(v => validators.PowerOf(v.Validator));
        return power >= validators.QuorumPower ? CommitCertificate.FromPrecommits(height, round, block, votes) : null;
    }

    /// <summary>The same block with other transactions: its hash (the header's) is unchanged, so proposal signatures
    /// and certificates still verify, but the transactions no longer match the header's root.</summary>
    public static Block WithTransactions(Block block, IReadOnlyList<byte[]> txs) => new(block.Header, txs);
}
