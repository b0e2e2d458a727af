using Dkms.Core.Transactions;
using MessagePack;

namespace Dkms.Core.Genesis;

/// <summary>
/// Rules of the ledger that a chain fixes at genesis. They are written into the authenticated state at height 0,
/// so the genesis state root commits to them and a node started with other values disagrees on the first root
/// instead of silently judging transactions differently.
/// </summary>
[MessagePackObject]
public sealed record LedgerParameters
{
    /// <summary>Default chain minimum recovery delay: one day, in seconds.</summary>
    public const ulong DefaultMinRecoveryDelaySeconds = 86_400;

    /// <summary>
    /// The shortest delay a recovery policy may name, seconds; and how long a policy change signed by the current
    /// keys waits before it takes effect when the identity had no policy before. It is the owner's shortest
    /// window to veto, with the pre-rotated next keys, a recovery or a policy change made by someone holding the
    /// current keys (docs/security.md).
    /// </summary>
    [Key(0)]
    public ulong MinRecoveryDelaySeconds { get; init; } = DefaultMinRecoveryDelaySeconds;

    public static LedgerParameters Default { get; } = new();

    /// <summary>Throws <see cref="GenesisException"/> naming the first value out of range.</summary>
    public void Validate()
    {
        if (MinRecoveryDelaySeconds == 0 || MinRecoveryDelaySeconds > Limits.MaxRecoveryDelaySeconds)
        {
            throw new GenesisException($"ledger.minRecoveryDelaySeconds must be 1..{Limits.MaxRecoveryDelaySeconds} seconds, got {MinRecoveryDelaySeconds}");
        }
    }
}
