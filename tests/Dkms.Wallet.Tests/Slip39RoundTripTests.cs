using Dkms.Wallet.Shamir;
using Dkms.Wallet.Slip39;

namespace Dkms.Wallet.Tests;

public class Slip39RoundTripTests
{
    private static Action<Span<byte>> Seeded(int seed)
    {
        var rnd = new Random(seed);
        return span => rnd.NextBytes(span);
    }

    [Theory]
    [InlineData(16, false)]
    [InlineData(32, true)]
    public void Two_of_three_groups_recover_with_any_sufficient_subset(int length, bool extendable)
    {
        var secret = new byte[length];
        new Random(length).NextBytes(secret);
        var groups = Slip39.Slip39.Generate(secret, 2, [new GroupSpec(1, 1), new GroupSpec(2, 3), new GroupSpec(3, 5)],
            "pass", iterationExponent: 0, extendable, Seeded(3));
        Assert.Equal(length == 16 ? 20 : 33, groups[0][0].Split(' ').Length);

        Assert.Equal(secret, Slip39.Slip39.Combine([groups[0][0], groups[1][0], groups[1][2]], "pass"));
        Assert.Equal(secret, Slip39.Slip39.Combine([groups[1][1], groups[1][2], groups[2][4], groups[2][0], groups[2][3]], "pass"));
        Assert.Throws<ShareException>(() => Slip39.Slip39.Combine([groups[0][0], groups[1][0]], "pass"));
        Assert.Throws<ShareException>(() => Slip39.Slip39.Combine([groups[1][0], groups[1][1]], "pass"));
    }

    [Fact]
    public void Wrong_passphrase_gives_a_different_secret_as_the_standard_intends()
    {
        // SLIP-0039 has no passphrase check: every passphrase decrypts to some secret (plausible deniability).
        var secret = new byte[16];
        var m = Slip39.Slip39.Generate(secret, 1, [new GroupSpec(1, 1)], "right", 0, true, Seeded(1));
        Assert.Equal(secret, Slip39.Slip39.Combine(m[0], "right"));
        Assert.NotEqual(secret, Slip39.Slip39.Combine(m[0], "wrong"));
    }

    [Fact]
    public void A_misspelled_word_or_changed_word_is_rejected()
    {
        var m = Slip39.Slip39.Generate(new byte[16], 1, [new GroupSpec(1, 1)], "", 0, true, Seeded(1))[0][0];
        var words = m.Split(' ');
        words[5] = words[5] == "academic" ? "acid" : "academic";
        Assert.Throws<ShareException>(() => MnemonicShare.Parse(string.Join(' ', words)));
        Assert.Throws<ShareException>(() => MnemonicShare.Parse(m.Replace(m.Split(' ')[0], "notaword")));
    }

    [Fact]
    public void Invalid_parameters_are_refused_when_generating()
    {
        Assert.Throws<ArgumentException>(() => Slip39.Slip39.Generate(new byte[15], 1, [new GroupSpec(1, 1)]));
        Assert.Throws<ArgumentException>(() => Slip39.Slip39.Generate(new byte[16], 2, [new GroupSpec(1, 1)]));
        Assert.Throws<ArgumentException>(() => Slip39.Slip39.Generate(new byte[16], 1, [new GroupSpec(1, 3)]));
    }
}
