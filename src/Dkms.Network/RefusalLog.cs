using Microsoft.Extensions.Logging;

namespace Dkms.Network;

/// <summary>
/// Logs refused connections and handshakes without letting a flood write a line per refusal: per interval, a few
/// lines per source address and <see cref="DetailedPerInterval"/> in all (enough to see a misconfigured peer), the
/// rest summarized in one line when the interval ends (<see cref="SourceLimitedLog"/>). Any thread.
/// </summary>
internal sealed class RefusalLog(ILogger logger, TimeProvider time) : IDisposable
{
    public static readonly TimeSpan Interval = SourceLimitedLog.DefaultWindow;

    /// <summary>Refusals logged one by one per interval.</summary>
    public const int DetailedPerInterval = 5;

    private readonly SourceLimitedLog _log = new(logger, time, "refused connections or handshakes", LogLevel.Warning, perSource: 2,
        perWindow: DetailedPerInterval, window: Interval);

    /// <param name="reason">A short fixed phrase.</param>
    /// <param name="source">Address of the other end (the per-source limit is by this).</param>
    /// <param name="detail">Anything else worth a line, e.g. the key the peer named.</param>
    public void Refused(string reason, string source, string? detail = null) =>
        _log.Log(source, LogLevel.Warning, "refused {Source}: {Reason}{Detail}", source, reason, detail is null ? "" : $" ({detail})");

    /// <summary>Writes the summary of a finished interval, if anything was held back.</summary>
    public void Flush() => _log.Flush();

    public void Dispose() => _log.Dispose();
}
