using System.Buffers;
using Dkms.Core.Crypto;
using Dkms.Core.Encoding;
using Dkms.Core.Primitives;
using MessagePack;

namespace Dkms.Core.Blocks;

public enum VoteType : byte
{
    Prevote = 1,
    Precommit = 2,
}

/// <summary>
/// A signed prevote or precommit. <see cref="BlockHash"/> zero means nil. The signature covers
/// <see cref="Domains.Vote"/> followed by the canonical tuple (chain id, type, height, round, hash),
/// so a vote can be replayed neither on another chain nor as another step.
/// </summary>
[MessagePackObject]
public sealed class Vote
{
    public Vote(VoteType type, ulong height, int round, Hash32 blockHash, PublicKey validator, byte[] signature)
    {
        Type = type;
        Height = height;
        Round = round;
        BlockHash = blockHash;
        Validator = validator;
        Signature = signature;
    }

    [Key(0)] public VoteType Type { get; }
    [Key(1)] public ulong Height { get; }
    [Key(2)] public int Round { get; }
    [Key(3)] public Hash32 BlockHash { get; }
    [Key(4)] public PublicKey Validator { get; }
    [Key(5)] public byte[] Signature { get; }

    [IgnoreMember] public bool IsNil => BlockHash.IsZero;

    public static Vote Create(ISigner signer, string chainId, VoteType type, ulong height, int round, Hash32 blockHash) =>
        new(type, height, round, blockHash, signer.PublicKey, signer.Sign(SignBytes(chainId, type, height, round, blockHash)));

    public bool VerifySignature(string chainId) =>
        Ed25519.Verify(Validator, SignBytes(chainId, Type, Height, Round, BlockHash), Signature);

    public static byte[] SignBytes(string chainId, VoteType type, ulong height, int round, Hash32 blockHash)
    {
        var buffer = new ArrayBufferWriter<byte>(96);
        var w = new MessagePackWriter(buffer);
        w.WriteArrayHeader(5);
        w.Write(chainId);
        w.Write((byte)type);
        w.Write(height);
        w.Write(round);
        w.Write(blockHash.ToArray());
        w.Flush();
        return Domains.Prefixed(Domains.Vote, buffer.WrittenSpan);
    }

    public override string ToString() => $"{Type}(h={Height}, r={Round}, {(IsNil ? "nil" : BlockHash.ToHex()[..8])}, by {Validator.ToHex()[..8]})";
}
