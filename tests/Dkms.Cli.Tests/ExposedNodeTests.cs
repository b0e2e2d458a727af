using Dkms.Cli.Tests.Support;
using Dkms.Node.Testing;

namespace Dkms.Cli.Tests;

/// <summary>
/// The CLI against a node exposed as docs/node.md says: RPC over TLS (a CA made at test time) with a bearer token.
/// The CLI must be told the CA (<c>--rpc-ca</c>) to reach it at all, and the token (<c>--rpc-token-file</c>) to submit.
/// </summary>
public sealed class ExposedNodeTests : IAsyncLifetime
{
    private readonly TempDir _dir = new();
    private InProcessTestnet _net = null!;
    private TestCertificates _certificates = null!;

    private string TokenFile => _dir.File("rpc.token");

    public async Task InitializeAsync()
    {
        _certificates = TestCertificates.Write(_dir.Path, "node");
        await File.WriteAllTextAsync(TokenFile, "cli-test-token-0123456789abcdef\n");
        _net = await InProcessTestnet.StartAsync(1, settings: (_, s) => s with
        {
            Rpc = s.Rpc with { TlsCertificateFile = _certificates.CertificateFile, TlsKeyFile = _certificates.KeyFile, TokenFile = TokenFile },
        });
    }

    public async Task DisposeAsync()
    {
        await _net.DisposeAsync();
        _dir.Dispose();
    }

    private User Person(string name) => new(_dir.Path, _dir.File($"{name}.dkms"), new Dictionary<string, string>
    {
        ["DKMS_NODE"] = _net.RpcEndpoints[0].ToString(),
        ["DKMS_GENESIS"] = _net.GenesisPath,
    });

    [Fact]
    public async Task The_cli_needs_the_CA_to_reach_the_node_and_the_token_to_submit()
    {
        Assert.Equal("https", _net.RpcEndpoints[0].Scheme);
        var alice = Person("alice");
        (await alice.RunAsync("wallet", "create")).Ok();

        // Not trusting the node's CA: the TLS handshake fails, nothing is sent.
        var untrusted = await alice.RunAsync("identity", "create", "--label", "alice");
        untrusted.Fails(ExitCodes.NodeUnavailable);

        // Trusting it, without the token: reading works, submitting is refused with a message naming the option.
        alice.With("DKMS_RPC_CA", _certificates.CaFile);
        var refused = await alice.RunAsync("identity", "create", "--label", "alice", "--json");
        refused.Fails(ExitCodes.Usage);
        Assert.Contains("--rpc-token-file", refused.Error, StringComparison.Ordinal);
        Assert.Contains("Unauthorized", refused.Out, StringComparison.Ordinal);

        var created = await alice.JsonAsync("identity", "create", "--label", "alice", "--rpc-token-file", TokenFile);
        var id = created.GetProperty("id").GetString()!;

        // A verified read needs no token.
        var resolved = await alice.JsonAsync("resolve", id, "--verify");
        Assert.Equal("Active", resolved.GetProperty("identity").GetProperty("status").GetString());
    }
}
