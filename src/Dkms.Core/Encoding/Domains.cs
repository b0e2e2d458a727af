namespace Dkms.Core.Encoding;

/// <summary>
/// Domain-separation prefixes. Every signature of the product covers one of these followed by
/// canonical bytes, so a signature made for one purpose can never be replayed as another.
/// </summary>
public static class Domains
{
    public static ReadOnlySpan<byte> Transaction => "DKMS/tx/v1\0"u8;
    public static ReadOnlySpan<byte> AgentProof => "DKMS/agent-proof/v1\0"u8;

    /// <summary>P2P handshake: a node proves it holds its node key to a peer (see docs/network.md).</summary>
    public static ReadOnlySpan<byte> PeerHandshake => "DKMS/peer-handshake/v2\0"u8;

    /// <summary><paramref name="domain"/> followed by <paramref name="body"/>, as one array.</summary>
    public static byte[] Prefixed(ReadOnlySpan<byte> domain, ReadOnlySpan<byte> body)
    {
        var m = new byte[domain.Length + body.Length];
        domain.CopyTo(m);
        body.CopyTo(m.AsSpan(domain.Length));
        return m;
    }
}
