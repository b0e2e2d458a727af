namespace Dkms.Client;

/// <summary>
/// How old an answer to a "latest" question may be. A node can always answer with a genuine proof of an
/// older block, and nobody can prove that a block is the newest one, so a client bounds the age instead:
/// the certified header's time must be no older than <see cref="MaxAge"/> by the client's own
/// <see cref="Clock"/>, and the height no lower than the highest this client has already verified
/// (<see cref="VerifiedHeight"/>) — a node cannot take a client back to before what it has seen. A block
/// time ahead of the client's clock counts as fresh: the clocks differ, and the quorum's certificate, not
/// the clock, vouches for the block. An answer at an explicitly requested height is bound by that height
/// instead; the age rules do not apply to it.
/// </summary>
public sealed record Freshness(TimeSpan MaxAge, ulong VerifiedHeight = 0, TimeProvider? Clock = null)
{
    /// <summary>Five minutes: a short window for a node to hide a rotation or a revocation, and longer than an
    /// active chain goes without a block. An idle chain without empty blocks outlives it: see docs/rpc.md.</summary>
    public static readonly TimeSpan DefaultMaxAge = TimeSpan.FromMinutes(5);

    /// <summary>The default age bound, no height seen yet, the system clock.</summary>
    public static Freshness Default { get; } = new(DefaultMaxAge);

    public TimeProvider Time => Clock ?? TimeProvider.System;
}
