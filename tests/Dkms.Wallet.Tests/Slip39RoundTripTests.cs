using Dkms.Wallet.Shamir;
using static Dkms.Wallet.Slip39.Slip39Shares;
using Group = Dkms.Wallet.Slip39.Slip39Group;

namespace Dkms.Wallet.Tests;

public class Slip39RoundTripTests
{
    private static byte[] Secret(int length)
    {
        var s = new byte[length];
        new SeededRandom(length).Fill(s);
        return s;
    }

    [Theory]
    [InlineData(16, false)]
    [InlineData(32, true)]
    public void Sufficient_subsets_of_groups_recover_the_secret(int length, bool extendable)
    {
        var secret = Secret(length);
        // 2 of 3 groups: a 1-of-1 group, a 2-of-3 group, a 3-of-5 group
        var groups = Split(secret, 2, [new Group(1, 1), new Group(2, 3), new Group(3, 5)], "pw", iterationExponent: 0,
            extendable: extendable, random: new SeededRandom(1));
        Assert.Equal(secret, Combine([groups[0][0], groups[1][0], groups[1][2]], "pw"));
        Assert.Equal(secret, Combine([groups[2][4], groups[2][1], groups[2][0], groups[1][1], groups[1][2]], "pw"));
        Assert.Equal(secret, Combine([groups[2][3], groups[0][0], groups[2][2], groups[2][1]], "pw"));
        // a wrong passphrase gives another secret, by design of SLIP-0039 (plausible deniability)
        Assert.NotEqual(secret, Combine([groups[0][0], groups[1][0], groups[1][2]], "PW"));
    }

    [Fact]
    public void Insufficient_groups_or_members_are_rejected()
    {
        var groups = Split(Secret(16), 2, [new Group(1, 1), new Group(2, 3), new Group(3, 5)], iterationExponent: 0, random: new SeededRandom(2));
        Assert.Equal(ShareError.InsufficientShares, Assert.Throws<ShareException>(() => Combine([groups[0][0]])).Error);
        Assert.Equal(ShareError.InsufficientShares, Assert.Throws<ShareException>(() => Combine([groups[0][0], groups[1][0]])).Error);
        Assert.Equal(ShareError.InsufficientShares, Assert.Throws<ShareException>(() => Combine([groups[1][0], groups[1][1], groups[2][0], groups[2][1]])).Error);
    }

    [Fact]
    public void A_changed_word_is_caught_by_the_checksum()
    {
        var groups = Split(Secret(16), 1, [new Group(2, 3)], iterationExponent: 0, random: new SeededRandom(3));
        var words = groups[0][0].Split(' ');
        words[7] = words[7] == "academic" ? "acid" : "academic";
        var ex = Assert.Throws<ShareException>(() => Combine([string.Join(' ', words), groups[0][1]]));
        Assert.Equal(ShareError.InvalidChecksum, ex.Error);
    }

    [Fact]
    public void Shares_of_two_splits_are_not_mixed()
    {
        var a = Split(Secret(16), 1, [new Group(2, 3)], iterationExponent: 0, random: new SeededRandom(4));
        var b = Split(Secret(16), 1, [new Group(2, 3)], iterationExponent: 0, random: new SeededRandom(5));
        Assert.Throws<ShareException>(() => Combine([a[0][0], b[0][1]]));
    }

    [Theory]
    [InlineData(16, 20)]
    [InlineData(32, 33)]
    public void Mnemonic_length_follows_the_secret_length(int secretLength, int words)
    {
        var groups = Split(Secret(secretLength), 1, [new Group(2, 2)], iterationExponent: 0, random: new SeededRandom(6));
        Assert.All(groups[0], m => Assert.Equal(words, m.Split(' ').Length));
        Assert.Equal(secretLength * 8, Slip39.Slip39Share.Parse(groups[0][0]).Value.Length * 8);
    }

    [Fact]
    public void The_embedded_word_list_has_1024_sorted_words_with_unique_four_letter_prefixes()
    {
        var words = Slip39.WordList.Words;
        Assert.Equal(1024, words.Length);
        Assert.Equal(words.Order(StringComparer.Ordinal), words);
        Assert.Equal(1024, words.Select(w => w[..4]).Distinct().Count());
    }

    [Fact]
    public void Invalid_parameters_are_refused()
    {
        Assert.Throws<ShareException>(() => Split(Secret(15), 1, [new Group(1, 1)]));
        Assert.Throws<ShareException>(() => Split(Secret(16), 1, [new Group(1, 2)]));
        Assert.Throws<ShareException>(() => Split(Secret(16), 3, [new Group(1, 1), new Group(2, 2)]));
    }
}
