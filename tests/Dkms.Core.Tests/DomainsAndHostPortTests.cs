using Dkms.Core.Encoding;
using Dkms.Core.Genesis;
using Dkms.Core.Primitives;

namespace Dkms.Core.Tests;

/// <summary>Issue 18 item 7: one list of signature-domain prefixes and one host:port parser.</summary>
public sealed class DomainsAndHostPortTests
{
    /// <summary>A signature made under one prefix must never verify under another: no prefix equals or starts another
    /// (each ends in a NUL, which keeps that true as the list grows).</summary>
    [Fact]
    public void No_signature_domain_is_a_prefix_of_another()
    {
        foreach (var (name, prefix) in Domains.All)
        {
            Assert.Equal(0, prefix[^1]);
            foreach (var (other, otherPrefix) in Domains.All.Where(d => d.Name != name))
            {
                Assert.False(otherPrefix.AsSpan().StartsWith(prefix), $"{name} is a prefix of {other}");
            }
        }
    }

    [Theory]
    [InlineData("127.0.0.1:26656", "127.0.0.1", 26656)]
    [InlineData("node-1.example.org:1", "node-1.example.org", 1)]
    [InlineData("[::1]:26657", "::1", 26657)]
    [InlineData("0.0.0.0:0", "0.0.0.0", 0)] // a listen address: any free port
    public void A_host_and_port_are_split_and_brackets_removed(string address, string host, int port)
    {
        Assert.True(HostPort.TryParse(address, out var h, out var p));
        Assert.Equal((host, port), (h, p));
        // The genesis reads addresses with the same parser.
        Assert.True(GenesisDocument.TrySplitAddress(address, out var gh, out var gp));
        Assert.Equal((host, port), (gh, gp));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("26656")]
    [InlineData(":26656")]
    [InlineData("host:")]
    [InlineData("host:65536")]
    [InlineData("host:+80")]
    [InlineData("host: 80")]
    [InlineData("host:-1")]
    [InlineData("[]:80")]
    public void Anything_else_is_not_host_port(string? address) =>
        Assert.False(HostPort.TryParse(address, out _, out _));
}
