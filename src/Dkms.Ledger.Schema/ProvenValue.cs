using Dkms.Core.Primitives;
using Dkms.Ledger.Merkle;

namespace Dkms.Ledger;

/// <summary>
/// A value of authenticated state with the proof that ties it to the state root of a height.
/// <see cref="Value"/> is the encoded record, or null when the proof shows it is absent.
/// </summary>
public sealed record ProvenValue(ulong Height, Hash32 StateRoot, byte[] Key, byte[]? Value, MerkleProof Proof)
{
    /// <summary>Checks the proof against <see cref="StateRoot"/>; a caller that trusts a root from a certified block header checks against that.</summary>
    public bool Verify(Hash32 trustedRoot) =>
        Value is null ? StateProof.VerifyAbsent(trustedRoot, Key, Proof) : StateProof.VerifyValue(trustedRoot, Key, Value, Proof);
}
