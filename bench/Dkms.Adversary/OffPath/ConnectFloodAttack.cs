using System.Diagnostics;
using System.Globalization;

namespace Dkms.Adversary.OffPath;

/// <summary>
/// Mode connect-flood (issue 16 #5): from many loopback source addresses, connection requests that never go on
/// (<see cref="ConnectFlooder"/>, at the options' rate) and clients that connect and send junk instead of a
/// handshake (<see cref="JunkHandshakers"/>), for the options' duration. Honest validators must keep connecting
/// meanwhile; what the tool can see is how the nodes answered and that no junk got a session.
/// </summary>
public static class ConnectFloodAttack
{
    public const int PortsPerSource = 4;
    public const int JunkWorkers = 3;

    public static async Task<ConnectFloodReport> RunAsync(OffPathOptions options, Action<ConnectFloodReport>? progress = null, CancellationToken ct = default)
    {
        var sources = ConnectFlooder.LoopbackSources(options.Sources);
        var clock = Stopwatch.StartNew();
        var flooder = new ConnectFlooder(options.Targets, sources, PortsPerSource, options.Rate, options.Seed);
        var junk = new JunkHandshakers(options.Targets, sources, JunkWorkers, options.Seed + 1);
        try
        {
            while (clock.Elapsed < options.Duration && !ct.IsCancellationRequested)
            {
                var left = options.Duration - clock.Elapsed;
                await Task.Delay(left < TimeSpan.FromSeconds(5) ? left : TimeSpan.FromSeconds(5), CancellationToken.None).ConfigureAwait(false);
                progress?.Invoke(ConnectFloodReport.Of(flooder, junk, sources.Count));
            }
        }
        finally
        {
            // Stopped before the count, so the report has the answers to the last requests.
            flooder.Dispose();
            junk.Dispose();
        }

        return ConnectFloodReport.Of(flooder, junk, sources.Count);
    }
}

/// <summary>How the nodes answered the flood.</summary>
public sealed record ConnectFloodReport(int Sources, long Sent, long Accepted, long Refused, long ClosedAfterAccept,
    int JunkClients, int JunkConnected, int JunkRefused, int JunkClosedByNode, int Sessions)
{
    /// <summary>Whether any node answered at all (a flood nobody answered tested nothing).</summary>
    public bool Answered => Accepted + Refused + JunkConnected + JunkRefused > 0;

    internal static ConnectFloodReport Of(ConnectFlooder flooder, JunkHandshakers junk, int sources) =>
        new(sources, flooder.Sent, flooder.Accepted, flooder.Refused, flooder.ClosedAfterAccept,
            junk.Attempts, junk.Connected, junk.Refused, junk.ClosedByNode, junk.Sessions);

    public string Summary() => string.Create(CultureInfo.InvariantCulture,
        $"connect-flood: sessions {Sessions}, {Sent:N0} connection requests from {Sources} addresses: {Accepted:N0} accepted (a pending place), " +
        $"{Refused:N0} refused at connect, {ClosedAfterAccept:N0} places closed by the node later, {Math.Max(0, Sent - Accepted - Refused):N0} unanswered; " +
        $"junk handshakes: {JunkClients:N0} clients, {JunkConnected:N0} connected, {JunkRefused:N0} refused at connect, {JunkClosedByNode:N0} closed by the node");
}
