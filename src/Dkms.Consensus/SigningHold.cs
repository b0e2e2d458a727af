namespace Dkms.Consensus;

/// <summary>
/// Keeps a validator from signing after its consensus record may have gone back in time: a data directory restored from
/// a backup, or rebuilt from a store that cannot show it lost no writes. Such a record says nothing of what the validator
/// signed after it was written, and signing again at one of those heights could sign a second, conflicting vote or
/// proposal (equivocation).
/// </summary>
/// <remarks>
/// The rule (docs/node.md, "Restore"; docs/security.md): the validator follows the chain without signing, noting the
/// highest height of any consensus message it receives. Its old self stopped before this one started, so it signed
/// at most at the height after the chain's tip of that moment, and the chain's tip only grows. Once this node commits a
/// height h from precommits it received live (it has reached the chain's frontier; blocks fetched while catching up do
/// not count), every height its old self may have signed is at most h + 1 or the highest height heard so far, whichever is
/// larger: that is the floor. The validator signs again only above it, at a height its old self never reached. Messages
/// from faulty peers can only raise the floor (delay signing), never lower it. A chain that cannot commit without this
/// validator's votes cannot reach a floor: the operator then releases the hold by hand (docs/node.md).
/// </remarks>
public sealed class SigningHold
{
    private ulong _highestSeen;

    /// <summary>The highest height at which the validator may have signed before; null until the frontier was reached.</summary>
    public ulong? Floor { get; private set; }

    /// <summary>True once the validator may sign again.</summary>
    public bool Released { get; private set; }

    /// <summary>Raised on the consensus loop thread when the hold ends, before the first signature, with the height at
    /// which the validator signs again: the owner removes the durable hold.</summary>
    public event Action<ulong>? Releasing;

    /// <summary>A consensus message (vote, proposal, block) of <paramref name="height"/> arrived.</summary>
    internal void Seen(ulong height)
    {
        if (height > _highestSeen) _highestSeen = height;
    }

    /// <summary>The node committed <paramref name="height"/> from precommits it received live.</summary>
    internal void CommittedLive(ulong height) => Floor ??= Math.Max(_highestSeen, height + 1);

    /// <summary>Whether the validator may sign at <paramref name="height"/>.</summary>
    internal bool MaySign(ulong height)
    {
        if (Released) return true;
        if (Floor is not { } floor || height <= floor) return false;
        Releasing?.Invoke(height);
        Released = true;
        return true;
    }
}
