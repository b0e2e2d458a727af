using Dkms.Core.Primitives;

namespace Dkms.Core.Blocks;

/// <summary>
/// The validators in force at a height. Quorum is more than 2/3 of the total power (the paper's 2f+1
/// with n = 3f+1 equal weights); "some honest" is more than 1/3 (the paper's f+1).
/// </summary>
public sealed class ValidatorSet
{
    private readonly Validator[] _validators;
    private readonly Dictionary<PublicKey, long> _power;

    public ValidatorSet(IEnumerable<Validator> validators)
    {
        _validators = validators.ToArray();
        if (_validators.Length == 0) throw new ArgumentException("a validator set is not empty", nameof(validators));
        _power = new Dictionary<PublicKey, long>();
        foreach (var v in _validators)
        {
            if (v.Power <= 0) throw new ArgumentException("voting power is positive", nameof(validators));
            if (!_power.TryAdd(v.PublicKey, v.Power)) throw new ArgumentException($"duplicate validator {v.PublicKey}", nameof(validators));
            TotalPower = checked(TotalPower + v.Power);
        }
    }

    public IReadOnlyList<Validator> Validators => _validators;

    public int Count => _validators.Length;

    public long TotalPower { get; }

    /// <summary>Smallest power that is more than 2/3 of the total (2f+1).</summary>
    public long QuorumPower => TotalPower * 2 / 3 + 1;

    /// <summary>Smallest power that is more than 1/3 of the total (f+1): at least one honest validator.</summary>
    public long OneThirdPlusPower => TotalPower / 3 + 1;

    public bool Contains(PublicKey key) => _power.ContainsKey(key);

    public long PowerOf(PublicKey key) => _power.GetValueOrDefault(key);

    /// <summary>
    /// proposer(h, r) of the paper: weighted round-robin. Slot (h + r) mod total power falls into one
    /// validator's share of the cumulative power, so each validator proposes in proportion to its power
    /// and every validator computes the same answer.
    /// </summary>
    public PublicKey Proposer(ulong height, int round)
    {
        var slot = (long)((height + (ulong)round) % (ulong)TotalPower);
        foreach (var v in _validators)
        {
            if (slot < v.Power) return v.PublicKey;
            slot -= v.Power;
        }

        throw new InvalidOperationException("unreachable: slot below total power");
    }
}
