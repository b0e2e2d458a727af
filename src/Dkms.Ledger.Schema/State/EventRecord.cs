using Dkms.Core.Primitives;
using Dkms.Core.Transactions;
using MessagePack;

namespace Dkms.Ledger.State;

/// <summary>
/// One accepted event of an identity. <see cref="Digest"/> = SHA-256(prefix || previous digest || tx hash),
/// so the events form a hash chain whose head is the identity's <c>LastEventDigest</c>, which the
/// state root authenticates. <see cref="StateAfter"/> holds the exact encoded identity state after
/// this event: key state as of any height is the newest event at or below it. <see cref="PreviousHeight"/> is
/// the height of the identity's previous event (0 for its inception), so its events can be walked newest
/// first from its state without an index per identity.
/// </summary>
[MessagePackObject]
public sealed record EventRecord(
    [property: Key(0)] IdentityId Identity,
    [property: Key(1)] ulong Sequence,
    [property: Key(2)] ulong Height,
    [property: Key(3)] int Index,
    [property: Key(4)] TxType Type,
    [property: Key(5)] Hash32 TxHash,
    [property: Key(6)] Hash32 PreviousDigest,
    [property: Key(7)] Hash32 Digest,
    [property: Key(8)] ulong BlockTimeMs,
    [property: Key(9)] byte[] Transaction,
    [property: Key(10)] byte[] StateAfter,
    [property: Key(11)] ulong PreviousHeight);

/// <summary>Where a committed transaction is: block height and position in the block.</summary>
[MessagePackObject]
public sealed record TxLocation(
    [property: Key(0)] ulong Height,
    [property: Key(1)] int Index,
    [property: Key(2)] IdentityId Subject,
    [property: Key(3)] ulong Sequence);
