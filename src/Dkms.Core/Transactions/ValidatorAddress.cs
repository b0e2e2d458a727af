using System.Net;
using System.Net.Sockets;

namespace Dkms.Core.Transactions;

/// <summary>
/// The form of a validator's P2P address, as a SetValidators carries it and every validator dials it: "host:port" with
/// a port in 1..65535 written in plain digits, and a host that is a DNS name (letters, digits, hyphens; dot-separated
/// labels of at most 63 characters), a dotted IPv4 address or a bracketed IPv6 address. Nothing else — no spaces,
/// control characters, schemes, paths or user parts — since the address comes from a transaction and reaches every
/// node's dialler and logs.
/// </summary>
public static class ValidatorAddress
{
    /// <summary>Longest address: a DNS name of 253 characters, a colon and five digits.</summary>
    public const int MaxLength = 253 + 1 + 5;

    public static bool IsValid(string? address) => Check(address) is null;

    /// <summary>Null when <paramref name="address"/> has the required form, otherwise what is wrong (the address is not echoed).</summary>
    public static string? Check(string? address)
    {
        if (string.IsNullOrEmpty(address)) return "the address is empty";
        if (address.Length > MaxLength) return $"the address is longer than {MaxLength} characters";
        var colon = address.LastIndexOf(':');
        if (colon <= 0 || colon == address.Length - 1) return "the address is not host:port";
        var port = address.AsSpan(colon + 1);
        if (port.Length > 5 || !IsDigits(port) || !int.TryParse(port, out var p) || p is < 1 or > 65535 || port[0] == '0')
        {
            return "the port is not a number in 1..65535";
        }

        var host = address[..colon];
        if (host[0] == '[')
        {
            return host[^1] == ']' && IPAddress.TryParse(host[1..^1], out var v6) && v6.AddressFamily == AddressFamily.InterNetworkV6 && !host.Contains('%')
                ? null
                : "the host in brackets is not an IPv6 address";
        }

        return IsDnsNameOrIpv4(host) ? null : "the host is not a DNS name, an IPv4 address or a bracketed IPv6 address";
    }

    private static bool IsDigits(ReadOnlySpan<char> s)
    {
        foreach (var c in s)
        {
            if (c is < '0' or > '9') return false;
        }

        return true;
    }

    /// <summary>Letters, digits and hyphens in dot-separated labels; a dotted IPv4 address passes the same rule.</summary>
    private static bool IsDnsNameOrIpv4(string host)
    {
        if (host.Length > 253) return false;
        foreach (var label in host.Split('.'))
        {
            if (label.Length is 0 or > 63 || label[0] == '-' || label[^1] == '-') return false;
            foreach (var c in label)
            {
                if (!(char.IsAsciiLetterOrDigit(c) || c == '-')) return false;
            }
        }

        return true;
    }
}
