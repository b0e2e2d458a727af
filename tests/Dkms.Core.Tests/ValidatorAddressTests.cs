using Dkms.Core.Crypto;
using Dkms.Core.Genesis;
using Dkms.Core.Transactions;

namespace Dkms.Core.Tests;

/// <summary>The P2P address a SetValidators (or the genesis) gives a validator: dialled by every node, so its form is bounded.</summary>
public class ValidatorAddressTests
{
    private static readonly Ed25519Signer Key = Ed25519Signer.FromSeed(new byte[32]);

    [Theory]
    [InlineData("127.0.0.1:26656")]
    [InlineData("localhost:1")]
    [InlineData("node-3.validators.example.org:65535")]
    [InlineData("[::1]:26656")]
    [InlineData("[2001:db8::7]:443")]
    public void Host_and_port_addresses_are_accepted(string address)
    {
        Assert.Null(ValidatorAddress.Check(address));
        Assert.True(TransactionCodec.TryDecode(SetValidators(address).Encoded, out _, out var error), error.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("127.0.0.1")]
    [InlineData("127.0.0.1:")]
    [InlineData(":26656")]
    [InlineData("127.0.0.1:0")]
    [InlineData("127.0.0.1:65536")]
    [InlineData("127.0.0.1:+80")]
    [InlineData("127.0.0.1: 80")]
    [InlineData("127.0.0.1:080")]
    [InlineData("evil host:26656")]
    [InlineData("host\n:26656")]
    [InlineData("udp://host:26656")]
    [InlineData("user@host:26656")]
    [InlineData("-host:26656")]
    [InlineData("a..b:26656")]
    [InlineData("::1:26656")]
    [InlineData("[::1:26656")]
    [InlineData("[127.0.0.1]:26656")]
    [InlineData("[fe80::1%eth0]:26656")]
    [InlineData("höst:26656")]
    public void Malformed_addresses_are_refused_by_the_transaction_shape(string address)
    {
        Assert.NotNull(ValidatorAddress.Check(address));
        Assert.False(TransactionCodec.TryDecode(SetValidators(address).Encoded, out _, out var error));
        Assert.Equal(ErrorCode.Malformed, error.Code);
        Assert.Contains("P2P address", error.Message);
    }

    [Fact]
    public void An_address_beyond_the_length_bound_is_refused_even_when_its_labels_are_valid()
    {
        var labels = string.Join('.', Enumerable.Repeat(new string('a', 63), 4)); // 255 characters
        Assert.NotNull(ValidatorAddress.Check($"{labels}:1"));
        Assert.NotNull(ValidatorAddress.Check(new string('a', 10_000) + ":1"));
        Assert.Null(ValidatorAddress.Check($"{labels[..253]}:65535")); // the longest accepted: a 253-character name
    }

    [Fact]
    public void A_seeded_run_of_random_strings_never_passes_unless_it_has_the_form()
    {
        var random = new Random(16);
        const string alphabet = "ab9.-:[]%@/ \t\n0Z:";
        for (var i = 0; i < 20_000; i++)
        {
            var chars = new char[random.Next(0, 24)];
            for (var k = 0; k < chars.Length; k++) chars[k] = alphabet[random.Next(alphabet.Length)];
            var address = new string(chars);
            if (ValidatorAddress.Check(address) is not null) continue;
            // Whatever passed is a dialable host:port with nothing else in it.
            Assert.True(GenesisDocument.TrySplitAddress(address, out var host, out var port), address);
            Assert.InRange(port, 1, 65535);
            Assert.DoesNotContain(address, c => char.IsWhiteSpace(c) || c is '@' or '/' or '%');
            Assert.True(host.Length > 0);
        }
    }

    [Fact]
    public void A_genesis_with_a_malformed_validator_address_is_refused()
    {
        var json = new GenesisDocument
        {
            ChainId = "c",
            GenesisTime = DateTimeOffset.UnixEpoch,
            Validators = [new GenesisValidator { Name = "v0", NodeKey = Key.PublicKey.ToHex(), Address = "evil host:1", Power = 1 }],
        }.ToJson();

        var e = Assert.Throws<GenesisException>(() => GenesisDocument.Parse(json));
        Assert.Contains("v0", e.Message);
    }

    private static Transaction SetValidators(string address) => TransactionCodec.Sign(
        new TxBody("chain", Governance.Subject, 1, new SetValidatorsPayload([new ValidatorEntry(Key.PublicKey, address, 1)])), [(Key, null)]);
}
