using Dkms.Core.Primitives;

namespace Dkms.Core.Tests;

public class IdentityIdTests
{
    [Fact]
    public void Identifier_round_trips_through_its_did_form()
    {
        var id = IdentityId.Derive("inception"u8);
        var text = id.ToString();
        Assert.StartsWith("did:dkms:", text);
        Assert.True(IdentityId.TryParse(text, out var parsed));
        Assert.Equal(id, parsed);
    }

    [Theory]
    [InlineData("")]
    [InlineData("did:dkms:")]
    [InlineData("did:web:example.com")]
    [InlineData("did:dkms:0OIl")]
    [InlineData("did:dkms:1111111111111111111111111111")]
    public void Malformed_identifiers_do_not_parse(string text) => Assert.False(IdentityId.TryParse(text, out _));

    [Fact]
    public void Base58_matches_the_bitcoin_alphabet_encoding()
    {
        Assert.Equal("", Base58.Encode([]));
        Assert.Equal("1", Base58.Encode([0]));
        Assert.Equal("5Q", Base58.Encode([0xff]));
        Assert.Equal("StV1DL6CwTryKyV", Base58.Encode("hello world"u8));
        Assert.True(Base58.TryDecode("StV1DL6CwTryKyV", out var b));
        Assert.Equal("hello world"u8.ToArray(), b);
    }
}
