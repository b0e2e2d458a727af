using Dkms.Core.Blocks;
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
    public ConsensusMessage(MessageKind kind, Proposal? proposal, Vote? vote, ulong height, Block? block, CommitCertificate? certificate)
    {
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

    public static byte[] Encode(Proposal p) => Codec.Encode(new ConsensusMessage(MessageKind.Proposal, p, null, p.Height, null, null));
    public static byte[] Encode(Vote v) => Codec.Encode(new ConsensusMessage(MessageKind.Vote, null, v, v.Height, null, null));
    public static byte[] EncodeRequest(ulong height) => Codec.Encode(new ConsensusMessage(MessageKind.BlockRequest, null, null, height, null, null));
    public static byte[] Encode(Block b, CommitCertificate c) => Codec.Encode(new ConsensusMessage(MessageKind.BlockResponse, null, null, b.Height, b, c));
}
