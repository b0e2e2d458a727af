using System.Security.Cryptography;
using Dkms.Core.Crypto;
using Dkms.Core.Primitives;

namespace Dkms.Core.Tests.Crypto;

public class Sha256Tests
{
    [Theory]
    [InlineData("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")]
    [InlineData("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")]
    [InlineData("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")]
    public void Standard_test_vectors_hash_to_their_published_digests(string input, string digestHex)
    {
        var digest = new byte[32];
        Sha256.HashData(System.Text.Encoding.ASCII.GetBytes(input), digest);
        Assert.Equal(digestHex, Convert.ToHexStringLower(digest));
        Assert.Equal(digestHex, Hash32.Sha256(System.Text.Encoding.ASCII.GetBytes(input)).ToHex());
    }

    [Fact]
    public void Every_length_up_to_several_blocks_and_past_the_direct_limit_matches_the_platform_hash()
    {
        var random = new Random(11);
        var lengths = Enumerable.Range(0, 300).Concat([1_000, 4_096, Sha256.DirectPathMaxLength, Sha256.DirectPathMaxLength + 1, 100_000]);
        var expected = new byte[32];
        var actual = new byte[32];
        foreach (var length in lengths)
        {
            var input = new byte[length];
            random.NextBytes(input);
            SHA256.HashData(input, expected);
            Sha256.HashData(input, actual);
            Assert.True(expected.AsSpan().SequenceEqual(actual), $"length {length}");
        }
    }

    [Fact]
    public void The_direct_path_is_used_on_linux_and_agrees_with_the_platform_hash()
    {
        // The node's machines run Linux with OpenSSL 3; there the fast path must be in use, or the
        // ledger silently loses most of its hashing speed.
        if (!OperatingSystem.IsLinux()) return;
        Assert.True(Sha256.DirectPathAvailable);
        var input = new byte[65];
        new Random(5).NextBytes(input);
        var expected = SHA256.HashData(input);
        var actual = new byte[32];
        Sha256.HashDirect(input, actual);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Hashing_from_many_threads_at_once_gives_the_same_digests()
    {
        var inputs = Enumerable.Range(0, 2_000).Select(i => BitConverter.GetBytes(i).Concat(new byte[i % 200]).ToArray()).ToArray();
        var expected = inputs.Select(i => Convert.ToHexStringLower(SHA256.HashData(i))).ToArray();
        var actual = new string[inputs.Length];
        Parallel.For(0, inputs.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i => actual[i] = Hash32.Sha256(inputs[i]).ToHex());
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void A_destination_shorter_than_a_digest_is_refused()
    {
        if (!Sha256.DirectPathAvailable) return;
        Assert.Throws<ArgumentException>(() => Sha256.HashDirect("abc"u8, new byte[31]));
    }
}
