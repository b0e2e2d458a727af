using Dkms.Wallet.Shamir;
using Dkms.Wallet.Slip39;

namespace Dkms.Wallet.Tests;

/// <summary>
/// Seeded adversaries against share combining: take a genuine share set, mutate, forge, mix or drop
/// shares at random, and require that combining either refuses with a <see cref="ShareException"/> or
/// returns exactly the original secret — never a different secret, never another kind of exception.
/// </summary>
public class ShareSetAdversaryTests
{
    private enum Outcome
    {
        Refused,
        Original,
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Mutated_forged_or_mixed_shamir_sets_are_refused_or_give_the_exact_secret(int seed)
    {
        var rng = new Random(seed);
        var refused = 0;
        for (var trial = 0; trial < 400; trial++)
        {
            var secret = new byte[rng.Next(5, 65)];
            rng.NextBytes(secret);
            var threshold = rng.Next(2, 9);
            var count = rng.Next(threshold, 17);
            var all = SecretSharing.Split(secret, threshold, count, new SeededRandom(seed * 100_000 + trial));
            var chosen = all.OrderBy(_ => rng.Next()).Take(rng.Next(threshold, count + 1)).ToList();
            var mutation = trial % Mutations;
            Mutate(rng, chosen, mutation, secret, threshold, count);

            var outcome = CombineShamir(chosen, secret, $"seed {seed} trial {trial} mutation {mutation}");
            if (mutation == 0) Assert.Equal(Outcome.Original, outcome);
            if (outcome == Outcome.Refused) refused++;
        }

        Assert.True(refused > 300, $"only {refused} of 400 sets were refused: the mutations are not reaching the checks");
    }

    private const int Mutations = 13;

    private static void Mutate(Random rng, List<ShamirShare> shares, int mutation, byte[] secret, int threshold, int count)
    {
        var i = rng.Next(shares.Count);
        var s = shares[i];
        switch (mutation)
        {
            case 0: // untouched: must combine
                break;
            case 1: // one flipped bit in one share
                {
                    var v = (byte[])s.Value.Clone();
                    v[rng.Next(v.Length)] ^= (byte)(1 << rng.Next(8));
                    shares[i] = s with { Value = v };
                    break;
                }

            case 2: // a share claims another index: the secret's or digest's point, beyond the split, another share's, or any
                shares[i] = s with { Index = (byte)Pick(rng, 255, 254, 16, shares[(i + 1) % shares.Count].Index, rng.Next(256)) };
                break;
            case 3: // one share claims another threshold
                shares[i] = s with { Threshold = (byte)Pick(rng, 0, 1, threshold - 1, threshold + 1, 17, rng.Next(256)) };
                break;
            case 4: // every share claims the same other threshold (1 means "no digest")
                {
                    var t = (byte)Pick(rng, 0, 1, 1, threshold - 1, threshold + 1, 17, rng.Next(256));
                    for (var k = 0; k < shares.Count; k++) shares[k] = shares[k] with { Threshold = t };
                    break;
                }

            case 5: // one share claims another set
                shares[i] = s with { SetId = s.SetId ^ (1UL << rng.Next(64)) };
                break;
            case 6: // truncated or extended value
                shares[i] = s with { Value = rng.Next(2) == 0 ? s.Value[..rng.Next(s.Value.Length)] : [.. s.Value, (byte)rng.Next(256)] };
                break;
            case 7: // a share of another split of the same secret, relabelled into this set
                {
                    var other = SecretSharing.Split(secret, threshold, count, new SeededRandom(rng.Next()));
                    shares[i] = other[s.Index] with { SetId = s.SetId };
                    break;
                }

            case 8: // a forged random value at a genuine index
                {
                    var v = new byte[s.Value.Length];
                    rng.NextBytes(v);
                    shares[i] = s with { Value = v };
                    break;
                }

            case 9: // a second, different share at an index already present
                {
                    var v = (byte[])s.Value.Clone();
                    v[0] ^= 1;
                    shares.Add(s with { Value = v });
                    break;
                }

            case 10: // a share of a different set mixed in
                {
                    var other = SecretSharing.Split(secret, threshold, count, new SeededRandom(rng.Next()));
                    shares.Add(other[rng.Next(count)]);
                    break;
                }

            case 11: // too few shares
                shares.RemoveRange(0, shares.Count - rng.Next(0, threshold));
                break;
            case 12: // a whole forged set for a secret the forger chose, with one genuine share swapped in
                {
                    var chosen = new byte[secret.Length];
                    rng.NextBytes(chosen);
                    var forged = SecretSharing.Split(chosen, threshold, count, new SeededRandom(rng.Next()))
                        .Select(f => f with { SetId = s.SetId }).ToList();
                    var keep = shares[0];
                    shares.Clear();
                    shares.AddRange(forged.Where(f => f.Index != keep.Index).Take(threshold - 1));
                    shares.Add(keep);
                    break;
                }
        }
    }

    /// <summary>One of the values an attacker would try first, or any.</summary>
    private static int Pick(Random rng, params int[] candidates) => candidates[rng.Next(candidates.Length)];

    private static Outcome CombineShamir(IReadOnlyCollection<ShamirShare> shares, byte[] secret, string what)
    {
        byte[] result;
        try
        {
            result = SecretSharing.Combine(shares);
        }
        catch (ShareException e)
        {
            Assert.False(string.IsNullOrWhiteSpace(e.Message), what);
            return Outcome.Refused;
        }
        catch (Exception e)
        {
            Assert.Fail($"{what}: combining threw {e.GetType().Name} ({e.Message}), not a ShareException");
            throw;
        }

        Assert.True(result.AsSpan().SequenceEqual(secret), $"{what}: combining returned a different secret");
        return Outcome.Original;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Mutated_forged_or_mixed_slip39_sets_are_refused_or_give_the_exact_secret(int seed)
    {
        var rng = new Random(seed);
        var refused = 0;
        const int trials = 150;
        for (var trial = 0; trial < trials; trial++)
        {
            var secret = new byte[rng.Next(2) == 0 ? 16 : 32];
            rng.NextBytes(secret);
            // one level at least has a threshold >= 2, so a digest protects whatever the set's groups are
            var memberThreshold = rng.Next(2, 5);
            var memberCount = rng.Next(memberThreshold, 7);
            var groups = Slip39Shares.Split(secret, 1, [new Slip39Group(memberThreshold, memberCount)], iterationExponent: 0,
                extendable: rng.Next(2) == 0, random: new SeededRandom(seed * 1000 + trial));
            var chosen = groups[0].OrderBy(_ => rng.Next()).Take(memberThreshold).Select(Slip39Share.Parse).ToList();
            var mutation = trial % 8;
            var mnemonics = MutateSlip39(rng, chosen, mutation);

            byte[] result;
            try
            {
                result = Slip39Shares.Combine(mnemonics);
            }
            catch (ShareException)
            {
                refused++;
                continue;
            }
            catch (Exception e)
            {
                Assert.Fail($"seed {seed} trial {trial} mutation {mutation}: combining threw {e.GetType().Name} ({e.Message}), not a ShareException");
                throw;
            }

            Assert.True(result.AsSpan().SequenceEqual(secret), $"seed {seed} trial {trial} mutation {mutation}: combining returned a different secret");
            Assert.True(mutation == 0, $"seed {seed} trial {trial} mutation {mutation}: a mutated set still combined");
        }

        Assert.True(refused > trials * 6 / 8, $"only {refused} of {trials} mnemonic sets were refused");
    }

    /// <summary>Mutations of mnemonics; all but "changed word" re-encode with a valid RS1024 checksum, as a forger would.</summary>
    private static List<string> MutateSlip39(Random rng, List<Slip39Share> shares, int mutation)
    {
        var i = rng.Next(shares.Count);
        var s = shares[i];
        switch (mutation)
        {
            case 0:
                break;
            case 1: // a changed word: the checksum catches it
                {
                    var words = s.ToMnemonic().Split(' ');
                    var w = rng.Next(words.Length);
                    words[w] = words[w] == "academic" ? "acid" : "academic";
                    var text = shares.Select(x => x.ToMnemonic()).ToList();
                    text[i] = string.Join(' ', words);
                    return text;
                }

            case 2: // a flipped bit in the value, checksum recomputed
                {
                    var v = (byte[])s.Value.Clone();
                    v[rng.Next(v.Length)] ^= (byte)(1 << rng.Next(8));
                    shares[i] = s with { Value = v };
                    break;
                }

            case 3: // another member index
                shares[i] = s with { MemberIndex = (s.MemberIndex + 1 + rng.Next(15)) % 16 };
                break;
            case 4: // another member threshold on one share
                shares[i] = s with { MemberThreshold = 1 + (s.MemberThreshold + rng.Next(15)) % 16 };
                break;
            case 5: // a group index beyond the group count, or another identifier
                shares[i] = rng.Next(2) == 0 ? s with { GroupIndex = 1 + rng.Next(15) } : s with { Identifier = s.Identifier ^ (1 + rng.Next(0x7FFE)) };
                break;
            case 6: // a forged random value
                {
                    var v = new byte[s.Value.Length];
                    rng.NextBytes(v);
                    shares[i] = s with { Value = v };
                    break;
                }

            case 7: // the same member twice
                shares.Add(s);
                break;
        }

        return shares.Select(x => x.ToMnemonic()).ToList();
    }

    [Fact]
    public void A_mnemonic_whose_group_index_is_not_below_its_group_count_is_refused()
    {
        var groups = Slip39Shares.Split(new byte[16], 1, [new Slip39Group(2, 3)], iterationExponent: 0, random: new SeededRandom(4));
        var share = Slip39Share.Parse(groups[0][0]);
        var moved = share with { GroupIndex = 3 };
        var ex = Assert.Throws<ShareException>(() => Slip39Share.Parse(moved.ToMnemonic()));
        Assert.Equal(ShareError.InvalidMnemonic, ex.Error);
        Assert.Contains("group index", ex.Message);
    }

    [Fact]
    public void An_oversized_mnemonic_with_a_valid_checksum_is_refused()
    {
        var huge = new Slip39Share(1, true, 0, 0, 1, 1, 0, 2, new byte[4000]).ToMnemonic();
        var ex = Assert.Throws<ShareException>(() => Slip39Share.Parse(huge));
        Assert.Equal(ShareError.InvalidMnemonic, ex.Error);
        Assert.Contains("words", ex.Message);
    }
}
