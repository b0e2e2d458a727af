using Dkms.Core.Encoding;
using Dkms.Core.Primitives;
using Dkms.Ledger.State;

namespace Dkms.Ledger;

public sealed partial class DkmsLedger
{
    /// <summary>
    /// The committed validator-set changes whose governance sequence is above <paramref name="afterSequence"/>, oldest first,
    /// at most <paramref name="limit"/>: each the proven validator-set record at the height it committed (certified by the
    /// block of that height, whose header carries the root). <paramref name="complete"/> is false when the history holds a
    /// change without a kept proof (a store written before proofs were kept: <c>dkms-node reindex</c> rebuilds them).
    /// </summary>
    public IReadOnlyList<ProvenValue> ValidatorChanges(ulong afterSequence, int limit, out bool complete)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var changes = new List<ProvenValue>();
        var kept = 0;
        foreach (var (_, bytes) in _store.Scan(StateKeys.ValidatorChangeProofsAll))
        {
            kept++;
            if (changes.Count >= limit) continue; // counted only, for the completeness check
            if (ProvenChange(bytes, afterSequence) is { } change) changes.Add(change);
        }

        // Every change after genesis has one entry in the history (keyed by the height it takes effect from) and one proof.
        complete = kept == _validatorHistory.Length - 1;
        return changes;
    }

    /// <summary>The newest committed validator-set change if its sequence is above <paramref name="afterSequence"/> (none
    /// otherwise), proven as in <see cref="ValidatorChanges"/>.</summary>
    public IReadOnlyList<ProvenValue> NewestValidatorChange(ulong afterSequence, out bool complete)
    {
        byte[]? newest = null;
        var kept = 0;
        foreach (var (_, bytes) in _store.Scan(StateKeys.ValidatorChangeProofsAll))
        {
            kept++;
            newest = bytes;
        }

        complete = kept == _validatorHistory.Length - 1;
        return newest is not null && ProvenChange(newest, afterSequence) is { } change ? [change] : [];
    }

    /// <summary>A kept change proof as the proven validator-set record under its height's root; null when its sequence is
    /// not above <paramref name="afterSequence"/>.</summary>
    private ProvenValue? ProvenChange(byte[] kept, ulong afterSequence)
    {
        var record = Codec.Decode<ValidatorChangeProof>(kept);
        if (Codec.Decode<ValidatorSetState>(record.State).Sequence <= afterSequence) return null;
        var root = GetHeight(record.CommitHeight)?.StateRoot ?? throw new InvalidOperationException($"no height record for {record.CommitHeight}");
        return new ProvenValue(record.CommitHeight, root, StateKeys.Validators, record.State, record.Proof);
    }

    /// <summary>The proof of the validator-set record a block that changes the set writes (null for any other block).</summary>
    private static ValidatorChangeProof? ChangeProof(Execution.ExecutedBlock block)
    {
        foreach (var (key, value) in block.AuthenticatedWrites)
        {
            if (key.AsSpan().SequenceEqual(StateKeys.Validators)) return new ValidatorChangeProof(block.Height, value, block.Tree.Prove(Hash32.Sha256(StateKeys.Validators)));
        }

        return null;
    }
}
