namespace Dkms.Core.Transactions;

/// <summary>Bounds on untrusted input. Anything beyond them is <c>Malformed</c> before any other check.</summary>
public static class Limits
{
    /// <summary>Largest encoded transaction accepted, in bytes.</summary>
    public const int MaxTransactionBytes = 16 * 1024;
    public const int MaxSignatures = 32;
    public const int MaxSigningKeys = 16;
    public const int MaxNextKeyDigests = 16;
    public const int MaxKeyAgreementKeys = 16;
    public const int MaxTrustees = 16;
    public const int MaxAgentChanges = 64;
    /// <summary>Most agents one policy may hold.</summary>
    public const int MaxPolicyAgents = 64;
    /// <summary>Longest chain id, key id, purpose or policy id, in UTF-16 code units.</summary>
    public const int MaxNameLength = 64;
    /// <summary>Longest recovery delay: ten years, in seconds.</summary>
    public const ulong MaxRecoveryDelaySeconds = 10UL * 366 * 24 * 3600;
}
