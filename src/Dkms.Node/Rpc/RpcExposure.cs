using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;

namespace Dkms.Node.Rpc;

/// <summary>
/// Sets up the RPC's listener from <see cref="RpcOptions"/>: the connection limit (before TLS, so a refused connection
/// costs no handshake), TLS from PEM files, the bearer token. Everything is loaded before the node starts: a missing
/// file or a bad option stops <c>dkms-node run</c> with a message, never a node exposed without what was asked for.
/// </summary>
internal sealed class RpcExposure
{
    private RpcExposure(RpcLimits limits, RpcToken? token)
    {
        Limits = limits;
        Token = token;
    }

    public RpcLimits Limits { get; }

    /// <summary>Null when no token file is configured: every method is open.</summary>
    public RpcToken? Token { get; }

    public static RpcExposure Configure(WebApplicationBuilder builder, NodeSettings settings, string host, int port, RpcClientFaults faults,
        TimeProvider time, ILoggerFactory loggers)
    {
        var o = settings.Rpc;
        if (o.MaxConnections < 1) throw new NodeConfigurationException($"Rpc:MaxConnections must be at least 1, not {o.MaxConnections}");
        if (o.RequestsPerSecondPerConnection < 0) throw new NodeConfigurationException($"Rpc:RequestsPerSecondPerConnection must be 0 (no limit) or more, not {o.RequestsPerSecondPerConnection}");
        if (o.RequestBurstPerConnection < 1) throw new NodeConfigurationException($"Rpc:RequestBurstPerConnection must be at least 1, not {o.RequestBurstPerConnection}");
        (X509Certificate2, X509Certificate2Collection)? tls = o.UsesTls ? RpcTls.Load(o) : null;
        var token = o.TokenFile.Length > 0 ? RpcToken.FromFile(o.TokenFile) : null;
        var limits = new RpcLimits(o, faults, time);
        var address = NodeHost.ResolveAddress(host);
        builder.WebHost.UseKestrel(k =>
        {
            k.Listen(address, port, listen =>
            {
                listen.Use(limits.Connections);
                if (tls is { } t)
                {
                    listen.UseHttps(new Microsoft.AspNetCore.Server.Kestrel.Https.HttpsConnectionAdapterOptions
                    {
                        ServerCertificate = t.Item1,
                        ServerCertificateChain = t.Item2,
                    });
                }
            });
            k.Limits.MaxRequestBodySize = settings.MaxRequestBytes;
            k.AddServerHeader = false;
        });

        if (!IPAddress.IsLoopback(address))
        {
            var log = loggers.CreateLogger("Dkms.Node.Rpc");
            if (tls is null) log.LogWarning("The RPC listens on {Address}, beyond loopback, without TLS (Rpc:TlsCertificateFile): requests and the token travel in clear", host);
            if (token is null) log.LogWarning("The RPC listens on {Address}, beyond loopback, without a token (Rpc:TokenFile): anyone who reaches it may submit", host);
        }

        return new RpcExposure(limits, token);
    }
}
