using Dkms.Core.Crypto;

namespace Dkms.Core.Blocks;

/// <summary>
/// What a decoded block, header, vote or certificate must look like before anything reads it. The decoder turns a nil
/// field into null and a missing trailing field into its default, so every reference and range is checked here, once,
/// recursively: code after this check may dereference every field.
/// </summary>
public static class BlockShape
{
    public static bool Check(BlockHeader? header, out string why)
    {
        why = header is null ? "header is missing"
            : header.ChainId is null or { Length: 0 } ? "header chain id is missing"
            : header.ChainId.Length > BlockLimits.MaxChainIdLength ? "header chain id is too long"
            : header.Height == 0 ? "header height is zero"
            : header.Round < 0 ? "header round is negative"
            : "";
        return why.Length == 0;
    }

    /// <summary>The header, and at most <see cref="BlockLimits.MaxTransactions"/> non-nil transactions of at most
    /// <see cref="BlockLimits.MaxBytes"/> bytes in all. Does not compute the transaction root (see
    /// <see cref="Block.TransactionRootMatches"/>): that costs a hash per transaction.</summary>
    public static bool Check(Block? block, BlockLimits limits, out string why)
    {
        if (block is null)
        {
            why = "block is missing";
            return false;
        }

        if (!Check(block.Header, out why)) return false;
        var txs = block.Transactions;
        if (txs is null)
        {
            why = "transaction list is missing";
            return false;
        }

        if (txs.Count > limits.MaxTransactions)
        {
            why = $"{txs.Count} transactions, more than the chain's {limits.MaxTransactions}";
            return false;
        }

        long bytes = 0;
        for (var i = 0; i < txs.Count; i++)
        {
            if (txs[i] is null)
            {
                why = $"transaction {i} is missing";
                return false;
            }

            bytes += txs[i].Length;
        }

        why = bytes > limits.MaxBytes ? $"{bytes} bytes of transactions, more than the chain's {limits.MaxBytes}" : "";
        return why.Length == 0;
    }

    public static bool Check(Vote? vote, out string why)
    {
        why = vote is null ? "vote is missing"
            : vote.Type is not (VoteType.Prevote or VoteType.Precommit) ? "vote type is unknown"
            : vote.Height == 0 ? "vote height is zero"
            : vote.Round < 0 ? "vote round is negative"
            : vote.Signature is not { Length: Ed25519.SignatureSize } ? "vote signature is missing or not 64 bytes"
            : "";
        return why.Length == 0;
    }

    /// <summary>Shape only: <see cref="CommitCertificate.Verify(ValidatorSet, string, Primitives.Hash32, out string)"/> checks the signatures.</summary>
    public static bool Check(CommitCertificate? certificate, out string why)
    {
        if (certificate is null)
        {
            why = "certificate is missing";
            return false;
        }

        var signatures = certificate.Signatures;
        why = certificate.Height == 0 ? "certificate height is zero"
            : certificate.Round < 0 ? "certificate round is negative"
            : certificate.BlockHash.IsZero ? "certificate names no block"
            : signatures is null or { Count: 0 } ? "certificate has no signatures"
            : signatures.Count > BlockLimits.MaxCertificateSignatures ? $"certificate has more than {BlockLimits.MaxCertificateSignatures} signatures"
            : "";
        if (why.Length > 0) return false;
        for (var i = 0; i < signatures!.Count; i++)
        {
            if (signatures[i] is not { Signature.Length: Ed25519.SignatureSize })
            {
                why = $"certificate signature {i} is missing or not 64 bytes";
                return false;
            }
        }

        return true;
    }
}
