namespace Dkms.Core.Blocks;

/// <summary>Domain-separation prefixes of consensus signatures (see <see cref="Encoding.Domains"/>).</summary>
public static class ConsensusDomains
{
    public static ReadOnlySpan<byte> Vote => "DKMS/vote/v1\0"u8;
    public static ReadOnlySpan<byte> Proposal => "DKMS/proposal/v1\0"u8;
}
