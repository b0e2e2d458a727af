using Dkms.Core.Blocks;
using Dkms.Core.Encoding;
using Dkms.Core.Primitives;

namespace Dkms.Consensus.Tests;

/// <summary>Issue 16 item 1: one message of a shape the protocol does not allow must not stop a validator.</summary>
public sealed class MalformedMessageTests
{
    public enum Shape
    {
        ProposalWithoutBlock,
        ProposalBlockWithoutHeader,
        ProposalWithoutTransactionList,
        ProposalWithNilTransaction,
        ProposalWithShortSignature,
        ProposalWithTooManyTransactions,
        BlockResponseWithoutHeader,
        BlockResponseWithoutCertificate,
        BlockResponseWithoutCertificateSignatures,
        BlockResponseWithNilTransaction,
        VoteWithoutSignature,
        VoteWithShortSignature,
        VoteOfUnknownType,
        MismatchedEnvelopeHeight,
        JustificationWithFreshProposal,
        JustificationWithVote,
        JustificationWithPrecommit,
        JustificationWithNilEntry,
        JustificationForAnotherRound,
        RoundJustificationWithPrevote,
        RoundJustificationOfTheSameRound,
        RoundJustificationOfAnotherHeight,
        RoundJustificationWithNilEntry,
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void A_malformed_message_is_dropped_and_counted_and_the_validators_keep_deciding(Shape shape)
    {
        using var net = new TestNet(4, seed: 16);
        var byzantine = Array.FindIndex(net.Signers, s => s.PublicKey == net.Genesis.Proposer(1, 0));
        net.Crash(byzantine); // its key sends the malformed message, as the proposer of height 1 round 0
        var key = net.Signers[byzantine];
        net.Submit(3);
        var bytes = Build(shape, net, key);
        var honest = net.Running.ToArray();
        foreach (var i in honest) net.Network.Send(key.PublicKey, net.Signers[i].PublicKey, bytes);

        Assert.True(net.RunUntilHeight(3, TimeSpan.FromSeconds(30)), net.Describe());
        net.AssertNoFork(honest);
        foreach (var i in honest) Assert.True(net.Drivers[i]!.Intake[key.PublicKey, DropReason.Malformed] >= 1, $"node {i} did not count the message against its sender");
    }

    public static TheoryData<Shape> Shapes() => new(Enum.GetValues<Shape>());

    private static byte[] Build(Shape shape, TestNet net, Core.Crypto.Ed25519Signer key)
    {
        var sig = new byte[64];
        var txs = new List<byte[]> { new byte[] { 1, 2, 3 } };
        var header = new BlockHeader(TestNet.ChainId, 1, 0, Hash32.Zero, Block.ComputeTransactionRoot(txs), Hash32.Sha256("s"u8), key.PublicKey,
            net.Time.GetUtcNow().ToUnixTimeMilliseconds());
        var good = new Block(header, txs);
        var cert = new CommitCertificate(1, 0, good.Hash, [new CommitSignature(key.PublicKey, sig)]);
        ConsensusMessage Proposal(Block? b, byte[] signature) =>
            new(MessageKind.Proposal, new Proposal(1, 0, -1, b!, key.PublicKey, signature), null, 1, null, null);
        ConsensusMessage Signed(Block b) => new(MessageKind.Proposal, Dkms.Consensus.Proposal.Create(key, TestNet.ChainId, 1, 0, -1, b), null, 1, null, null);
        ConsensusMessage Response(Block b, CommitCertificate? c) => new(MessageKind.BlockResponse, null, null, 1, b, c);
        ConsensusMessage VoteMessage(VoteType type, byte[]? signature) =>
            new(MessageKind.Vote, null, new Vote(type, 1, 0, Hash32.Zero, key.PublicKey, signature!), 1, null, null);

        var prevote = Vote.Create(key, TestNet.ChainId, VoteType.Prevote, 1, 0, good.Hash);
        ConsensusMessage Justified(int validRound, params Vote[] votes) =>
            new(MessageKind.Proposal, Dkms.Consensus.Proposal.Create(key, TestNet.ChainId, 1, 1, validRound, good), null, 1, null, null, votes);

        // A vote of round 1 may carry only precommits of height 1, round 0.
        ConsensusMessage RoundJustified(params Vote[] votes) =>
            new(MessageKind.Vote, null, Vote.Create(key, TestNet.ChainId, VoteType.Prevote, 1, 1, Hash32.Zero), 1, null, null, votes);

        var message = shape switch
        {
            Shape.ProposalWithoutBlock => Proposal(null, sig),
            Shape.ProposalBlockWithoutHeader => Proposal(new Block(null!, txs), sig),
            Shape.ProposalWithoutTransactionList => Signed(new Block(header, null!)),
            Shape.ProposalWithNilTransaction => Signed(new Block(header, [txs[0], null!])),
            Shape.ProposalWithShortSignature => Proposal(good, new byte[10]),
            Shape.ProposalWithTooManyTransactions => Signed(TooMany(header)),
            Shape.BlockResponseWithoutHeader => Response(new Block(null!, txs), cert),
            Shape.BlockResponseWithoutCertificate => Response(good, null),
            Shape.BlockResponseWithoutCertificateSignatures => Response(good, new CommitCertificate(1, 0, good.Hash, null!)),
            Shape.BlockResponseWithNilTransaction => Response(new Block(header, [null!]), cert),
            Shape.VoteWithoutSignature => VoteMessage(VoteType.Prevote, null),
            Shape.VoteWithShortSignature => VoteMessage(VoteType.Prevote, new byte[63]),
            Shape.VoteOfUnknownType => VoteMessage((VoteType)9, sig),
            Shape.MismatchedEnvelopeHeight => new ConsensusMessage(MessageKind.Vote, null,
                Vote.Create(key, TestNet.ChainId, VoteType.Prevote, 5, 0, Hash32.Zero), 1, null, null),
            Shape.JustificationWithFreshProposal => Justified(-1, prevote),
            Shape.JustificationWithVote => new ConsensusMessage(MessageKind.Vote, null, prevote, 1, null, null, [prevote]),
            Shape.JustificationWithPrecommit => Justified(0, Vote.Create(key, TestNet.ChainId, VoteType.Precommit, 1, 0, good.Hash)),
            Shape.JustificationWithNilEntry => Justified(0, prevote, null!),
            Shape.JustificationForAnotherRound => Justified(0, Vote.Create(key, TestNet.ChainId, VoteType.Prevote, 1, 1, good.Hash)),
            Shape.RoundJustificationWithPrevote => RoundJustified(Vote.Create(key, TestNet.ChainId, VoteType.Prevote, 1, 0, Hash32.Zero)),
            Shape.RoundJustificationOfTheSameRound => RoundJustified(Vote.Create(key, TestNet.ChainId, VoteType.Precommit, 1, 1, Hash32.Zero)),
            Shape.RoundJustificationOfAnotherHeight => RoundJustified(Vote.Create(key, TestNet.ChainId, VoteType.Precommit, 2, 0, Hash32.Zero)),
            Shape.RoundJustificationWithNilEntry => RoundJustified(Vote.Create(key, TestNet.ChainId, VoteType.Precommit, 1, 0, Hash32.Zero), null!),
            _ => throw new ArgumentOutOfRangeException(nameof(shape)),
        };
        return Codec.Encode(message);
    }

    private static Block TooMany(BlockHeader header)
    {
        var txs = Enumerable.Range(0, TestNet.DefaultOptions.Limits.MaxTransactions + 1).Select(i => BitConverter.GetBytes(i)).ToArray();
        return new Block(header, txs);
    }
}
