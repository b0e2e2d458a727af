using System.Net;
using System.Net.Sockets;

namespace Dkms.Node.Tests.Process;

/// <summary>
/// Ports for node processes started by tests. A port found free by binding port 0 comes from the kernel's
/// ephemeral range, and the kernel may hand the same number to any other socket bound to port 0 — another
/// test's in-process node, in a test assembly running alongside — in the seconds before the node process
/// binds it; the node then fails to start and its peers wait for it in vain. These ports come from just below
/// the ephemeral range instead, which the kernel never hands out, walking from a start derived from the
/// process id, each checked free when taken.
/// </summary>
internal static class TestPorts
{
    private const int Span = 8_000;

    private static readonly int Low = RangeBelowEphemeral();
    private static int _next = Environment.ProcessId % Span;

    public static int Next(ProtocolType protocol)
    {
        for (var tries = 0; tries < Span; tries++)
        {
            var port = Low + (int)((uint)Interlocked.Increment(ref _next) % Span);
            if (IsFree(port, protocol)) return port;
        }

        throw new InvalidOperationException($"no free port in {Low}..{Low + Span - 1}");
    }

    private static bool IsFree(int port, ProtocolType protocol)
    {
        try
        {
            using var socket = protocol == ProtocolType.Udp
                ? new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp)
                : new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>The <see cref="Span"/> ports below the kernel's ephemeral range (Linux: ip_local_port_range), else 20000–27999.</summary>
    private static int RangeBelowEphemeral()
    {
        try
        {
            var first = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries)[0];
            var low = int.Parse(first, System.Globalization.CultureInfo.InvariantCulture);
            if (low - Span >= 10_000) return low - Span;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
        }

        return 20_000;
    }
}
