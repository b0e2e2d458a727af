using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Dkms.Node.Rpc;

/// <summary>The RPC's TLS certificate from PEM files (<see cref="RpcOptions.TlsCertificateFile"/>, <see cref="RpcOptions.TlsKeyFile"/>).</summary>
public static class RpcTls
{
    /// <summary>The certificate with its key, and the rest of the chain the certificate file holds (intermediates,
    /// sent to clients so they can build the chain to their CA).</summary>
    public static (X509Certificate2 Certificate, X509Certificate2Collection Chain) Load(RpcOptions options)
    {
        if (options.TlsCertificateFile.Length == 0 || options.TlsKeyFile.Length == 0)
        {
            throw new NodeConfigurationException("RPC TLS needs both Rpc:TlsCertificateFile and Rpc:TlsKeyFile (PEM)");
        }

        try
        {
            using var pem = X509Certificate2.CreateFromPemFile(options.TlsCertificateFile, options.TlsKeyFile);
            // A key loaded from PEM is ephemeral, which some TLS stacks cannot use; a PKCS#12 round trip gives it a
            // persisted form in memory.
            var certificate = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
            var chain = new X509Certificate2Collection();
            chain.ImportFromPemFile(options.TlsCertificateFile);
            var intermediates = new X509Certificate2Collection();
            foreach (var c in chain)
            {
                if (c.Thumbprint != certificate.Thumbprint) intermediates.Add(c);
            }

            if (certificate.NotAfter < DateTime.Now) throw new NodeConfigurationException($"RPC TLS certificate '{options.TlsCertificateFile}' expired on {certificate.NotAfter:u}");
            return (certificate, intermediates);
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new NodeConfigurationException($"RPC TLS certificate '{options.TlsCertificateFile}' with key '{options.TlsKeyFile}' cannot be loaded: {e.Message}");
        }
    }
}
