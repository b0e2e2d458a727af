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
    /// proposer(h, r) of the paper: smooth weighted round-robin (each validator proposes in proportion to its
    /// power, turns interleaved, so a crashed validator costs one round at a time, not a run of rounds).
    /// Turn (h + r) of the cycle of length total/gcd(powers); every validator computes the same answer.
    /// </summary>
    public PublicKey Proposer(ulong height, int round)
    {
        var cycle = _cycle ??= BuildCycle();
        return cycle[(int)((height + (ulong)round) % (ulong)cycle.Length)];
    }

    private PublicKey[]? _cycle;

    /// <summary>The smooth weighted round-robin sequence (credit += power; pick the largest credit; it pays the total).</summary>
    private PublicKey[] BuildCycle()
    {
        var g = _validators.Aggregate(0L, (a, v) => Gcd(a, v.Power));
        var weights = _validators.Select(v => v.Power / g).ToArray();
        var total = weights.Sum();
        if (total > 100_000) weights = weights.Select(w => Math.Max(1, w * 100_000 / total)).ToArray(); // bound the cycle
        total = weights.Sum();
        var credit = new long[weights.Length];
        var cycle = new PublicKey[total];
        for (var k = 0; k < total; k++)
        {
            var best = 0;
            for (var i = 0; i < weights.Length; i++)
            {
                credit[i] += weights[i];
                if (credit[i] > credit[best]) best = i;
            }

            credit[best] -= total;
            cycle[k] = _validators[best].PublicKey;
        }

        return cycle;
    }

    private static long Gcd(long a, long b) => b == 0 ? a : Gcd(b, a % b);
}
