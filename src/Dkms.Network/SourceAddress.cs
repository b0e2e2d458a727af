using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Dkms.Network;

/// <summary>
/// Where a connection comes from, for per-source limits: an IPv4 address, or the /64 prefix of an IPv6 address
/// (one host usually holds a whole /64, so counting single IPv6 addresses would limit nothing).
/// </summary>
internal readonly record struct SourceAddress(ulong Value, bool IsV6)
{
    public static SourceAddress Of(IPAddress ip)
    {
        if (ip.IsIPv4MappedToIPv6) ip = ip.MapToIPv4();
        Span<byte> bytes = stackalloc byte[16];
        ip.TryWriteBytes(bytes, out var written);
        return ip.AddressFamily == AddressFamily.InterNetwork
            ? new SourceAddress(BinaryPrimitives.ReadUInt32BigEndian(bytes), false)
            : new SourceAddress(BinaryPrimitives.ReadUInt64BigEndian(bytes[..Math.Min(8, written)]), true);
    }

    public override string ToString()
    {
        Span<byte> bytes = stackalloc byte[16];
        if (!IsV6)
        {
            BinaryPrimitives.WriteUInt32BigEndian(bytes, (uint)Value);
            return new IPAddress(bytes[..4]).ToString();
        }

        bytes.Clear();
        BinaryPrimitives.WriteUInt64BigEndian(bytes, Value);
        return $"{new IPAddress(bytes)}/64";
    }
}
