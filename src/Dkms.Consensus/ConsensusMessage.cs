using Dkms.Core.Blocks;
using Dkms.Core.Crypto;
using Dkms.Core.Encoding;
using MessagePack;

namespace Dkms.Consensus;

public enum MessageKind : byte
{
    Proposal = 1,
    Vote = 2,
    /// <summary>"Send me the committed block and certificate at <see cref="ConsensusMessage.Height"/>" (catch-up).</summary>
    BlockRequest = 3,
    /// <summary>A committed block with its certificate (catch-up answer).</summary>
    BlockResponse = 4,
}

/// <summary>The one envelope that travels between validators; exactly the fields of its kind are set.</summary>
[MessagePackObject]
public sealed class ConsensusMessage
{
    public ConsensusMessage(MessageKind kind, Proposal? proposal, Vote? vote, ulong height, Block? block, CommitCertificate? certificate,
        Vote[]? justification = null)
    {
        Justification = justification;
        Kind = kind;
        Proposal = proposal;
        Vote = vote;
        Height = height;
        Block = block;
        Certificate = certificate;
    }

    [Key(0)] public MessageKind Kind { get; }
    [Key(1)] public Proposal? Proposal { get; }
    [Key(2)] public Vote? Vote { get; }
    [Key(3)] public ulong Height { get; }
    [Key(4)] public Block? Block { get; }
    [Key(5)] public CommitCertificate? Certificate { get; }

    /// <summary>Votes of other validators, each signed by its own validator and checked like a vote of its signer; nothing
    /// else carries one validator's vote on another's behalf. Two kinds of message may carry them:
    /// <list type="bullet">
    /// <item>a proposal of valid round vr ≥ 0 (a re-proposal, line 16): the prevotes of round vr for its block that the
    /// proposer holds. Line 28 needs 2f+1 of them at every validator, and a validator that missed some (it was down)
    /// cannot get them otherwise when their signers are down now: without them it prevotes nil in every round and, with
    /// only 2f+1 up, the height never ends.</item>
    /// <item>a vote of round r ≥ 1 (the sender's current round): the precommits of round r − 1 the sender holds — what
    /// took it out of round r − 1 (2f+1 precommits, lines 47 and 65). A Byzantine validator that shows its precommit to
    /// one honest validator only moves that one to round r while the others, holding the two precommits they signed
    /// themselves, wait in round r − 1 for a third no honest validator will sign; one validator in round r is not the
    /// f+1 of line 55, so without these the height never ends (docs/consensus.md, "Round-change justification").</item>
    /// </list></summary>
    [Key(6)] public Vote[]? Justification { get; }

    public static byte[] Encode(Proposal p, Vote[]? justification = null) =>
        Codec.Encode(new ConsensusMessage(MessageKind.Proposal, p, null, p.Height, null, null, justification is { Length: > 0 } ? justification : null));
    public static byte[] Encode(Vote v, Vote[]? justification = null) =>
        Codec.Encode(new ConsensusMessage(MessageKind.Vote, null, v, v.Height, null, null, v.Round > 0 && justification is { Length: > 0 } ? justification : null));
    public static byte[] EncodeRequest(ulong height) => Codec.Encode(new ConsensusMessage(MessageKind.BlockRequest, null, null, height, null, null));
    public static byte[] Encode(Block b, CommitCertificate c) => Codec.Encode(new ConsensusMessage(MessageKind.BlockResponse, null, null, b.Height, b, c));

    /// <summary>
    /// The one entry point for consensus bytes from a peer (the node and test tools share it): decodes in untrusted-data
    /// mode, then checks every field recursively (<see cref="Check"/>). False with the reason for anything the protocol
    /// does not allow; on true every field of the message's kind is set and in range, and the others are absent.
    /// Signatures and the transaction root are not checked here: they cost work, and the engine does them only for
    /// messages that passed its cheaper checks.
    /// </summary>
    public static bool TryDecode(ReadOnlyMemory<byte> bytes, BlockLimits limits, out ConsensusMessage? message, out string why)
    {
        if (!Codec.TryDecode(bytes, out message, out why) || message is null)
        {
            message = null;
            if (why.Length == 0) why = "empty message";
            return false;
        }

        if (Check(message, limits, out why)) return true;
        message = null;
        return false;
    }

    /// <summary>The shape rules of <see cref="TryDecode"/>, for a message already decoded.</summary>
    public static bool Check(ConsensusMessage m, BlockLimits limits, out string why)
    {
        var others = m.Kind switch
        {
            MessageKind.Proposal => m.Vote is not null || m.Block is not null || m.Certificate is not null,
            MessageKind.Vote => m.Proposal is not null || m.Block is not null || m.Certificate is not null,
            MessageKind.BlockRequest => m.Proposal is not null || m.Vote is not null || m.Block is not null || m.Certificate is not null,
            MessageKind.BlockResponse => m.Proposal is not null || m.Vote is not null,
            _ => true,
        };
        others |= m.Justification is not null
                  && !(m.Kind == MessageKind.Proposal && m.Proposal is { ValidRound: >= 0 })
                  && !(m.Kind == MessageKind.Vote && m.Vote is { Round: > 0 });
        if (others)
        {
            why = Enum.IsDefined(m.Kind) ? $"{m.Kind} carries fields of another kind" : $"unknown message kind {(byte)m.Kind}";
            return false;
        }

        switch (m.Kind)
        {
            case MessageKind.Proposal:
                if (!CheckProposal(m.Proposal, limits, out why) || !CheckJustification(m.Proposal!, m.Justification, out why)) return false;
                break;
            case MessageKind.Vote:
                if (!BlockShape.Check(m.Vote, out why) || !CheckRoundJustification(m.Vote!, m.Justification, out why)) return false;
                break;
            case MessageKind.BlockResponse:
                if (!BlockShape.Check(m.Block, limits, out why) || !BlockShape.Check(m.Certificate, out why)) return false;
                if (m.Certificate!.Height != m.Block!.Height || m.Certificate.BlockHash != m.Block.Hash)
                {
                    why = "the certificate is for another block";
                    return false;
                }

                break;
        }

        var inner = m.Kind switch
        {
            MessageKind.Proposal => m.Proposal!.Height,
            MessageKind.Vote => m.Vote!.Height,
            MessageKind.BlockResponse => m.Block!.Height,
            _ => m.Height,
        };
        why = m.Height == 0 ? "height is zero" : m.Height != inner ? "envelope height differs from the message's" : "";
        return why.Length == 0;
    }

    private static bool CheckJustification(Proposal p, Vote[]? votes, out string why)
    {
        why = "";
        if (votes is null) return true;
        if (votes.Length > Dkms.Core.Transactions.Governance.MaxValidators)
        {
            why = $"{votes.Length} justifying prevotes, more than a validator set has";
            return false;
        }

        foreach (var v in votes)
        {
            if (!BlockShape.Check(v, out why)) return false;
            if (v.Type != VoteType.Prevote || v.Height != p.Height || v.Round != p.ValidRound || v.BlockHash != p.Block.Hash)
            {
                why = "a justifying vote is not a prevote of the proposal's valid round for its block";
                return false;
            }
        }

        return true;
    }

    /// <summary>A vote of round r may carry only precommits of its height and round r − 1, at most one set's worth.</summary>
    private static bool CheckRoundJustification(Vote carrier, Vote[]? votes, out string why)
    {
        why = "";
        if (votes is null) return true;
        if (votes.Length > Dkms.Core.Transactions.Governance.MaxValidators)
        {
            why = $"{votes.Length} justifying precommits, more than a validator set has";
            return false;
        }

        foreach (var v in votes)
        {
            if (!BlockShape.Check(v, out why)) return false;
            if (v.Type != VoteType.Precommit || v.Height != carrier.Height || v.Round != carrier.Round - 1)
            {
                why = "a vote's justifying vote is not a precommit of the round before it";
                return false;
            }
        }

        return true;
    }

    private static bool CheckProposal(Proposal? p, BlockLimits limits, out string why)
    {
        if (p is null)
        {
            why = "proposal is missing";
            return false;
        }

        if (!BlockShape.Check(p.Block, limits, out why)) return false;
        why = p.Round < 0 ? "proposal round is negative"
            : p.ValidRound < -1 || p.ValidRound >= p.Round ? "proposal valid round is not in -1..round-1"
            : p.Height != p.Block.Height ? "proposal height differs from its block's"
            : p.Signature is not { Length: Ed25519.SignatureSize } ? "proposal signature is missing or not 64 bytes"
            : "";
        return why.Length == 0;
    }
}
