using Dkms.Ledger.Merkle;
using MessagePack;

namespace Dkms.Ledger.State;

/// <summary>
/// A committed validator-set change as a client needs it to follow the set: the exact bytes of the
/// <see cref="ValidatorSetState"/> record after the block that committed the change, and that record's Merkle path in
/// the block's state tree. Kept for every change because the node keeps whole trees for a few recent heights only,
/// while a client may follow the set from genesis.
/// </summary>
[MessagePackObject]
public sealed record ValidatorChangeProof(
    [property: Key(0)] ulong CommitHeight,
    [property: Key(1)] byte[] State,
    [property: Key(2)] MerkleProof Proof);
