namespace Dkms.Core.Encoding;

/// <summary>
/// Domain-separation prefixes. Every signature of the product covers one of these followed by
/// canonical bytes, so a signature made for one purpose can never be replayed as another. This is the one list of
/// them (the consensus prefixes lived apart, in <c>ConsensusDomains</c>, until issue 18): a new kind of signature adds
/// its prefix here, and <c>Domains.All</c> lets a test check that no two collide.
/// </summary>
public static class Domains
{
    public static ReadOnlySpan<byte> Transaction => "DKMS/tx/v1\0"u8;
    public static ReadOnlySpan<byte> AgentProof => "DKMS/agent-proof/v1\0"u8;

    /// <summary>A validator's prevote or precommit (<see cref="Blocks.Vote"/>).</summary>
    public static ReadOnlySpan<byte> Vote => "DKMS/vote/v1\0"u8;

    /// <summary>A proposer's signed proposal.</summary>
    public static ReadOnlySpan<byte> Proposal => "DKMS/proposal/v1\0"u8;

    /// <summary>P2P handshake: a node proves it holds its node key to a peer (see docs/network.md).</summary>
    public static ReadOnlySpan<byte> PeerHandshake => "DKMS/peer-handshake/v2\0"u8;

    /// <summary>Not a signature: the hash that chains an identity's events (the ledger's event digest). Listed here so every
    /// DKMS/ prefix is named in one place and checked against the others.</summary>
    public static ReadOnlySpan<byte> EventDigest => "DKMS/event/v1\0"u8;

    /// <summary>Every prefix above, by name.</summary>
    public static IReadOnlyList<(string Name, byte[] Prefix)> All =>
    [
        (nameof(Transaction), Transaction.ToArray()),
        (nameof(AgentProof), AgentProof.ToArray()),
        (nameof(Vote), Vote.ToArray()),
        (nameof(Proposal), Proposal.ToArray()),
        (nameof(PeerHandshake), PeerHandshake.ToArray()),
        (nameof(EventDigest), EventDigest.ToArray()),
    ];

    /// <summary><paramref name="domain"/> followed by <paramref name="body"/>, as one array.</summary>
    public static byte[] Prefixed(ReadOnlySpan<byte> domain, ReadOnlySpan<byte> body)
    {
        var m = new byte[domain.Length + body.Length];
        domain.CopyTo(m);
        body.CopyTo(m.AsSpan(domain.Length));
        return m;
    }
}
