using System.Net;
using System.Net.Sockets;
using Dkms.Core.Primitives;

namespace Dkms.Network;

/// <summary>"host:port" strings of the genesis and the options.</summary>
internal static class Endpoints
{
    /// <summary>Splits "host:port", "1.2.3.4:port" or "[::1]:port" (<see cref="HostPort"/>, the one parser).</summary>
    public static (string Host, int Port) Parse(string address) =>
        HostPort.TryParse(address, out var host, out var port) ? (host, port) : throw new FormatException($"'{address}' is not host:port");

    /// <summary>An IP literal as is; a host name through DNS, IPv4 first. Blocks while DNS answers: for this node's
    /// own listen address at start only, never for a peer's (see PeerNetwork.Resolution.cs).</summary>
    public static IPAddress Resolve(string host, bool allowV6) =>
        IPAddress.TryParse(host, out var ip) ? ip : Pick(Dns.GetHostAddresses(host), allowV6);

    /// <summary>The address to use among a name's answers: IPv4 first.</summary>
    public static IPAddress Pick(IPAddress[] all, bool allowV6) =>
        all.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork)
            ?? (allowV6 ? all.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetworkV6) : null)
            ?? throw new SocketException((int)SocketError.HostNotFound);
}
