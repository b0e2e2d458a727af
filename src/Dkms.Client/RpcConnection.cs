using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Dkms.Client;

/// <summary>
/// How a client reaches a node's RPC that is exposed beyond loopback (docs/node.md "Exposing the RPC beyond
/// loopback"): the CA (or the node's own certificate) to trust for <c>https://</c>, and the bearer token that methods
/// changing state need.
/// </summary>
public sealed record RpcConnection
{
    /// <summary>PEM file of the certificates to trust for the node's TLS: its CA, or its own (self-signed) certificate.
    /// When set, only these are trusted, not the system's CAs. Null: the system's trust.</summary>
    public string? TrustedCertificatesFile { get; init; }

    /// <summary>File whose first line is the node's bearer token. Null: no token (reading methods only).</summary>
    public string? TokenFile { get; init; }

    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>An HTTP client for <paramref name="endpoint"/> with this trust and token; the caller disposes it.</summary>
    public HttpClient CreateHttpClient(Uri endpoint)
    {
        var handler = new SocketsHttpHandler();
        ConfigureHandler(handler);
        var http = new HttpClient(handler, disposeHandler: true) { BaseAddress = endpoint, Timeout = Timeout };
        ConfigureClient(http);
        return http;
    }

    /// <summary>Makes <paramref name="handler"/> trust only <see cref="TrustedCertificatesFile"/> (when set).</summary>
    public void ConfigureHandler(SocketsHttpHandler handler)
    {
        if (TrustedCertificatesFile is not { } file) return;
        var trusted = LoadCertificates(file);
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, chain, errors) => IsTrusted(certificate, chain, errors, trusted);
    }

    /// <summary>Makes <paramref name="http"/> send the token of <see cref="TokenFile"/> (when set) with every request.</summary>
    public void ConfigureClient(HttpClient http)
    {
        if (TokenFile is { } tokenFile) http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ReadToken(tokenFile));
    }

    /// <summary>The token of a token file (its first line, trimmed); the message names the file, never its content.</summary>
    public static string ReadToken(string file)
    {
        string text;
        try
        {
            text = File.ReadAllText(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"RPC token file '{file}' cannot be read: {e.Message}", e);
        }

        var token = text.Split('\n', 2)[0].Trim();
        if (token.Length == 0) throw new ArgumentException($"RPC token file '{file}' holds no token on its first line");
        return token;
    }

    private static X509Certificate2Collection LoadCertificates(string file)
    {
        var certificates = new X509Certificate2Collection();
        try
        {
            certificates.ImportFromPemFile(file);
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"RPC CA file '{file}' cannot be read as PEM certificates: {e.Message}", e);
        }

        if (certificates.Count == 0) throw new ArgumentException($"RPC CA file '{file}' holds no PEM certificate");
        return certificates;
    }

    /// <summary>The node's certificate is for the host asked for and chains to one of <paramref name="trusted"/> (or is
    /// one of them: a pinned certificate).</summary>
    private static bool IsTrusted(X509Certificate? presented, X509Chain? presentedChain, SslPolicyErrors errors, X509Certificate2Collection trusted)
    {
        if (presented is null || (errors & (SslPolicyErrors.RemoteCertificateNotAvailable | SslPolicyErrors.RemoteCertificateNameMismatch)) != 0) return false;
        var leaf = presented as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(presented.GetRawCertData());
        foreach (var t in trusted)
        {
            if (t.RawDataMemory.Span.SequenceEqual(leaf.RawDataMemory.Span)) return true;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(trusted);
        // A private CA publishes no revocation list; expiry and signatures are still checked.
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (presentedChain is not null)
        {
            foreach (var element in presentedChain.ChainElements) chain.ChainPolicy.ExtraStore.Add(element.Certificate);
        }

        return chain.Build(leaf);
    }
}
