using System.Buffers.Binary;
using Dkms.Core.Encoding;
using Dkms.Core.Transactions;
using Dkms.Ledger.State;

namespace Dkms.Ledger;

/// <summary>The validator set in force at <see cref="At"/> and the sequence of the committed validator-set state, both as
/// of the commit of <see cref="Height"/>: what a change of the set is built on (the next change carries
/// <see cref="Sequence"/> + 1 and lists the whole new set).</summary>
public sealed record CommittedValidatorSet(ulong Height, ulong At, ValidatorEntry[] Set, ulong Sequence);

public sealed partial class DkmsLedger
{
    /// <summary>
    /// The validators in force at <paramref name="height"/> (default: the next height; at most the next) with the
    /// committed sequence of the set, or null past the next height. Height, set and sequence are read from one store
    /// snapshot: read one by one, a change committing in between paired the old set with the new sequence, and a change
    /// built on that answer would undo the committed one.
    /// </summary>
    public CommittedValidatorSet? CommittedValidators(ulong? height = null)
    {
        using var snapshot = _store.Snapshot();
        var last = snapshot.Get(StateKeys.LastCommitted) is { } record ? Codec.Decode<HeightRecord>(record).Height : 0;
        var at = height ?? last + 1;
        if (at > last + 1) return null;
        ValidatorEntry[] set = [];
        foreach (var (key, value) in snapshot.ScanReverse(StateKeys.ValidatorHistoryAll))
        {
            if (BinaryPrimitives.ReadUInt64BigEndian(key.AsSpan(1)) > at) continue;
            set = Codec.Decode<ValidatorEntry[]>(value);
            break;
        }

        var sequence = Decode<ValidatorSetState>(snapshot.Get(StateKeys.Validators))?.Sequence ?? 0;
        return new CommittedValidatorSet(last, at, set, sequence);
    }
}
