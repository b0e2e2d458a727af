using Dkms.Core.Transactions;
using MessagePack;

namespace Dkms.Ledger.State;

/// <summary>
/// The validator set on the ledger (authenticated, under <see cref="StateKeys.Validators"/>): the set in
/// force, and a committed change waiting for its activation height. <see cref="Sequence"/> orders
/// governance transactions exactly like an identity's sequence orders its events.
/// </summary>
[MessagePackObject]
public sealed record ValidatorSetState(
    [property: Key(0)] ValidatorEntry[] Current,
    [property: Key(1)] ValidatorEntry[]? Pending,
    [property: Key(2)] ulong PendingFromHeight,
    [property: Key(3)] ulong Sequence)
{
    /// <summary>The set in force at <paramref name="height"/>.</summary>
    public ValidatorEntry[] At(ulong height) => Pending is not null && height >= PendingFromHeight ? Pending : Current;

    public long TotalPower(ulong height) => At(height).Sum(v => v.Power);
}
