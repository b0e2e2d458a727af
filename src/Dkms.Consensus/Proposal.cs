using System.Buffers;
using Dkms.Core.Blocks;
using Dkms.Core.Crypto;
using Dkms.Core.Encoding;
using Dkms.Core.Primitives;
using MessagePack;

namespace Dkms.Consensus;

/// <summary>
/// PROPOSAL(h, r, v, vr) of Algorithm 1: a block proposed in round <see cref="Round"/> by proposer(h, r),
/// with the round <see cref="ValidRound"/> in which it became valid (-1 for a fresh block, line 19).
/// </summary>
[MessagePackObject]
public sealed class Proposal
{
    public Proposal(ulong height, int round, int validRound, Block block, PublicKey proposer, byte[] signature)
    {
        Height = height;
        Round = round;
        ValidRound = validRound;
        Block = block;
        Proposer = proposer;
        Signature = signature;
    }

    [Key(0)] public ulong Height { get; }
    [Key(1)] public int Round { get; }
    [Key(2)] public int ValidRound { get; }
    [Key(3)] public Block Block { get; }
    [Key(4)] public PublicKey Proposer { get; }
    [Key(5)] public byte[] Signature { get; }

    public static Proposal Create(ISigner signer, string chainId, ulong height, int round, int validRound, Block block) =>
        new(height, round, validRound, block, signer.PublicKey,
            signer.Sign(SignBytes(chainId, height, round, validRound, block.Hash)));

    public bool VerifySignature(string chainId) =>
        Ed25519.Verify(Proposer, SignBytes(chainId, Height, Round, ValidRound, Block.Hash), Signature);

    /// <summary>The signature covers the block hash, not the block: the header commits to the transactions through its
    /// transaction root, so a received proposal is bound to its transactions only once <see cref="Block.TransactionRootMatches"/>
    /// holds (intake checks it before the block is kept).</summary>
    public static byte[] SignBytes(string chainId, ulong height, int round, int validRound, Hash32 blockHash)
    {
        var buffer = new ArrayBufferWriter<byte>(96);
        var w = new MessagePackWriter(buffer);
        w.WriteArrayHeader(5);
        w.Write(chainId);
        w.Write(height);
        w.Write(round);
        w.Write(validRound);
        w.Write(blockHash.ToArray());
        w.Flush();
        return Domains.Prefixed(Domains.Proposal, buffer.WrittenSpan);
    }
}
