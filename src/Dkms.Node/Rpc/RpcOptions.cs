namespace Dkms.Node.Rpc;

/// <summary>
/// How the RPC is exposed (docs/node.md "Exposing the RPC beyond loopback"): TLS from PEM files, the bearer token of
/// the methods that change state, and the limits on connections and on each connection's request rate.
/// </summary>
public sealed record RpcOptions
{
    /// <summary>PEM certificate (chain) the RPC serves over TLS; empty = plain HTTP. Needs <see cref="TlsKeyFile"/>.</summary>
    public string TlsCertificateFile { get; init; } = "";

    /// <summary>PEM private key (PKCS#8 or RSA/EC) of <see cref="TlsCertificateFile"/>.</summary>
    public string TlsKeyFile { get; init; } = "";

    /// <summary>File holding the bearer token that methods changing state require (first line); empty = no token
    /// (those methods are then open to anyone who can reach the port).</summary>
    public string TokenFile { get; init; } = "";

    /// <summary>Open connections at most; a connection beyond it is answered 429 (TLS: closed) and counted.</summary>
    public int MaxConnections { get; init; } = 1_024;

    /// <summary>Requests one connection may send per second on average, after its burst; 0 = no limit.</summary>
    public int RequestsPerSecondPerConnection { get; init; } = 2_000;

    /// <summary>Requests one connection may send at once before the rate applies.</summary>
    public int RequestBurstPerConnection { get; init; } = 4_000;

    public bool UsesTls => TlsCertificateFile.Length > 0 || TlsKeyFile.Length > 0;
}
