using Dkms.Core.Primitives;
using MessagePack;

namespace Dkms.Core.Blocks;

/// <summary>One validator's precommit signature inside a certificate.</summary>
[MessagePackObject]
public sealed record CommitSignature([property: Key(0)] PublicKey Validator, [property: Key(1)] byte[] Signature);

/// <summary>
/// Proof that a block was decided: precommit signatures for (height, round, block hash) from more than
/// 2/3 of the voting power (Algorithm 1, line 49). Anyone holding the validator set in force at that
/// height can check it with <see cref="Verify(ValidatorSet, string, Hash32, out string)"/>.
/// </summary>
[MessagePackObject]
public sealed class CommitCertificate
{
    public CommitCertificate(ulong height, int round, Hash32 blockHash, IReadOnlyList<CommitSignature> signatures)
    {
        Height = height;
        Round = round;
        BlockHash = blockHash;
        Signatures = signatures;
    }

    [Key(0)] public ulong Height { get; }
    [Key(1)] public int Round { get; }
    [Key(2)] public Hash32 BlockHash { get; }
    [Key(3)] public IReadOnlyList<CommitSignature> Signatures { get; }

    public static CommitCertificate FromPrecommits(ulong height, int round, Hash32 blockHash, IEnumerable<Vote> precommits) =>
        new(height, round, blockHash, precommits.Select(v => new CommitSignature(v.Validator, v.Signature)).ToArray());

    public bool Verify(ValidatorSet validators, string chainId, Hash32 blockHash) => Verify(validators, chainId, blockHash, out _);

    /// <summary>True when the certificate names <paramref name="blockHash"/> and carries valid, distinct
    /// precommit signatures of members of <paramref name="validators"/> worth a quorum of power.</summary>
    public bool Verify(ValidatorSet validators, string chainId, Hash32 blockHash, out string error)
    {
        if (blockHash.IsZero || BlockHash != blockHash)
        {
            error = "certificate is for another block";
            return false;
        }

        var message = Vote.SignBytes(chainId, VoteType.Precommit, Height, Round, BlockHash);
        var seen = new HashSet<PublicKey>();
        long power = 0;
        foreach (var s in Signatures)
        {
            if (!validators.Contains(s.Validator)) { error = $"signer {s.Validator} is not a validator"; return false; }
            if (!seen.Add(s.Validator)) { error = $"signer {s.Validator} appears twice"; return false; }
            if (!Crypto.Ed25519.Verify(s.Validator, message, s.Signature)) { error = $"bad signature by {s.Validator}"; return false; }
            power += validators.PowerOf(s.Validator);
        }

        if (power < validators.QuorumPower)
        {
            error = $"signed power {power} is below the quorum {validators.QuorumPower}";
            return false;
        }

        error = "";
        return true;
    }
}
