using System.Globalization;

namespace Dkms.Core.Primitives;

/// <summary>
/// The one parser of "host:port" strings (genesis addresses, listen settings, the peer network's dial targets): the
/// port is the part after the last colon, plain digits in 0..65535 (0: "any free port" for a listen address), and a
/// host in brackets is an IPv6 address whose brackets are removed. It splits; it does not judge the host's form —
/// <see cref="Transactions.ValidatorAddress"/> does that for addresses that come from transactions.
/// </summary>
public static class HostPort
{
    public static bool TryParse(string? address, out string host, out int port)
    {
        host = "";
        port = 0;
        if (string.IsNullOrEmpty(address)) return false;
        var colon = address.LastIndexOf(':');
        if (colon <= 0 || colon == address.Length - 1) return false;
        if (!int.TryParse(address.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out port) || port > 65535)
        {
            port = 0;
            return false;
        }

        var h = address[..colon];
        if (h.StartsWith('[') && h.EndsWith(']')) h = h[1..^1];
        if (h.Length == 0) return false;
        host = h;
        return true;
    }
}
