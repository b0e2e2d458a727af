using Dkms.Core.Transactions;

namespace Dkms.Core.Blocks;

/// <summary>
/// The largest block a chain accepts (its genesis parameters: the same on every validator, so they decide validity),
/// and the protocol's fixed maxima for the other parts of a block or certificate.
/// </summary>
public sealed record BlockLimits(int MaxTransactions, long MaxBytes)
{
    /// <summary>Longest chain id (the genesis rule).</summary>
    public const int MaxChainIdLength = Limits.MaxNameLength;

    /// <summary>Most signatures in a commit certificate: one per validator, and a set has at most this many.</summary>
    public const int MaxCertificateSignatures = Governance.MaxValidators;
}
