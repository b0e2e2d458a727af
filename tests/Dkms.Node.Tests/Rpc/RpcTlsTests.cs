using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Dkms.Client;
using Dkms.Node.Testing;
using Dkms.Node.Tests.Support;
using Dkms.Rpc;

namespace Dkms.Node.Tests.Rpc;

/// <summary>One validator serving its RPC over TLS (a CA and certificate made at test time) with a bearer token.</summary>
public sealed class TlsNodeFixture : IAsyncLifetime
{
    public const string Token = "tls-node-token-0123456789abcdef";

    public string Directory { get; } = Path.Combine(Path.GetTempPath(), "dkms-tls-" + Guid.NewGuid().ToString("N")[..12]);

    public TestCertificates Certificates { get; private set; } = null!;

    /// <summary>Another CA, which the node's certificate does not chain to.</summary>
    public TestCertificates Stranger { get; private set; } = null!;

    public string TokenFile => Path.Combine(Directory, "rpc.token");

    public InProcessTestnet Net { get; private set; } = null!;

    public Uri Endpoint => Net.RpcEndpoints[0];

    public async Task InitializeAsync()
    {
        System.IO.Directory.CreateDirectory(Directory);
        Certificates = TestCertificates.Write(Directory, "node");
        Stranger = TestCertificates.Write(Directory, "stranger");
        await File.WriteAllTextAsync(TokenFile, Token);
        Net = await InProcessTestnet.StartAsync(1, settings: (_, s) => s with
        {
            Rpc = s.Rpc with { TlsCertificateFile = Certificates.CertificateFile, TlsKeyFile = Certificates.KeyFile, TokenFile = TokenFile },
        });
    }

    public async Task DisposeAsync()
    {
        await Net.DisposeAsync();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}

/// <summary>The RPC over TLS, reached by a real HTTPS client and by the project's own client trusting a given CA.</summary>
public sealed class RpcTlsTests(TlsNodeFixture fixture) : IClassFixture<TlsNodeFixture>
{
    private const string StatusCall = """{"jsonrpc":"2.0","id":1,"method":"node.status"}""";

    [Fact]
    public async Task The_node_serves_https_that_a_client_trusting_its_CA_reads()
    {
        Assert.Equal("https", fixture.Endpoint.Scheme);
        var ca = X509CertificateLoader.LoadCertificateFromFile(fixture.Certificates.CaFile);
        X509Certificate2? seen = null;
        using var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, certificate, _, _) =>
            {
                seen = certificate is null ? null : X509CertificateLoader.LoadCertificate(certificate.RawData);
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(ca);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return certificate is not null && chain.Build(certificate);
            },
        };
        using var http = new HttpClient(handler) { BaseAddress = fixture.Endpoint };
        using var response = await http.PostAsync("", new StringContent(StatusCall, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains(InProcessTestnet.ChainId, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(X509CertificateLoader.LoadCertificateFromFile(fixture.Certificates.CertificateFile).Thumbprint, seen!.Thumbprint);
    }

    [Fact]
    public async Task The_client_with_the_CA_file_reads_and_with_the_token_submits()
    {
        using var client = new DkmsRpcClient(fixture.Endpoint, new RpcConnection { TrustedCertificatesFile = fixture.Certificates.CaFile, TokenFile = fixture.TokenFile });
        Assert.Equal(InProcessTestnet.ChainId, (await client.NodeStatusAsync()).ChainId);
        var tx = new TestIdentity($"{nameof(RpcTlsTests)}/over-tls", new TransactionBuilder(InProcessTestnet.ChainId)).Incept();
        Assert.Equal(TxStatuses.Committed, (await client.SubmitAsync(tx, SubmitModes.Commit, 30_000)).Status);
    }

    [Fact]
    public async Task The_client_pinning_the_node_certificate_itself_reads()
    {
        using var client = new DkmsRpcClient(fixture.Endpoint, new RpcConnection { TrustedCertificatesFile = fixture.Certificates.CertificateFile });
        Assert.Equal(InProcessTestnet.ChainId, (await client.NodeStatusAsync()).ChainId);
    }

    [Fact]
    public async Task A_client_trusting_another_CA_or_only_the_system_refuses_the_node()
    {
        using var stranger = new DkmsRpcClient(fixture.Endpoint, new RpcConnection { TrustedCertificatesFile = fixture.Stranger.CaFile });
        var e = await Assert.ThrowsAsync<RpcException>(() => stranger.NodeStatusAsync());
        Assert.Equal(0, e.Code);

        using var system = new DkmsRpcClient(fixture.Endpoint);
        Assert.Equal(0, (await Assert.ThrowsAsync<RpcException>(() => system.NodeStatusAsync())).Code);
    }

    [Fact]
    public async Task Plain_http_to_the_tls_port_gets_no_answer()
    {
        using var http = new HttpClient { BaseAddress = new UriBuilder(fixture.Endpoint) { Scheme = "http" }.Uri, Timeout = TimeSpan.FromSeconds(30) };
        try
        {
            using var response = await http.PostAsync("", new StringContent(StatusCall, Encoding.UTF8, "application/json"));
            // Kestrel answers a plain request on a TLS port with 400 at most, never with the RPC's answer.
            Assert.DoesNotContain(InProcessTestnet.ChainId, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        catch (HttpRequestException)
        {
            // refused: as it should be
        }
    }

    [Fact]
    public void A_key_that_does_not_match_the_certificate_stops_the_node_from_starting()
    {
        var options = new Dkms.Node.Rpc.RpcOptions { TlsCertificateFile = fixture.Certificates.CertificateFile, TlsKeyFile = fixture.Stranger.KeyFile };
        var e = Assert.Throws<NodeConfigurationException>(() => Dkms.Node.Rpc.RpcTls.Load(options));
        Assert.Contains(fixture.Certificates.CertificateFile, e.Message, StringComparison.Ordinal);
        Assert.Throws<NodeConfigurationException>(() => Dkms.Node.Rpc.RpcTls.Load(options with { TlsKeyFile = "" }));
    }
}
