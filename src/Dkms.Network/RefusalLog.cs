using System.Text;
using Microsoft.Extensions.Logging;

namespace Dkms.Network;

/// <summary>
/// Logs refused connections and handshakes without letting a flood write a line per refusal: the first few of
/// each interval are logged one by one (enough to see a misconfigured peer), the rest are counted by reason and
/// source and summarized in one line when the interval ends. Any thread.
/// </summary>
internal sealed class RefusalLog(ILogger logger, TimeProvider time)
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    /// <summary>Refusals logged one by one per interval.</summary>
    public const int DetailedPerInterval = 5;

    private readonly Lock _lock = new();
    private readonly Dictionary<string, int> _byReason = [];
    private readonly Dictionary<string, int> _bySource = [];
    private long _intervalStart = time.GetTimestamp();
    private int _detailed;
    private int _suppressed;

    /// <param name="reason">A short fixed phrase (the summary groups by it).</param>
    /// <param name="source">Address (or address and port) of the other end.</param>
    /// <param name="detail">Anything else worth a line, e.g. the key the peer named.</param>
    public void Refused(string reason, string source, string? detail = null)
    {
        bool logNow;
        lock (_lock)
        {
            logNow = _detailed < DetailedPerInterval;
            if (logNow)
            {
                _detailed++;
            }
            else
            {
                _suppressed++;
                _byReason[reason] = _byReason.GetValueOrDefault(reason) + 1;
                if (_bySource.Count < 1024 || _bySource.ContainsKey(source)) _bySource[source] = _bySource.GetValueOrDefault(source) + 1;
            }
        }

        if (logNow)
        {
            logger.LogWarning("refused {Source}: {Reason}{Detail}", source, reason, detail is null ? "" : $" ({detail})");
        }

        Flush();
    }

    /// <summary>Writes the summary of a finished interval, if anything was held back.</summary>
    public void Flush()
    {
        string? summary = null;
        int suppressed;
        lock (_lock)
        {
            var now = time.GetTimestamp();
            if (time.GetElapsedTime(_intervalStart, now) < Interval) return;
            suppressed = _suppressed;
            if (suppressed > 0)
            {
                var text = new StringBuilder();
                foreach (var (reason, n) in _byReason.OrderByDescending(p => p.Value)) text.Append(text.Length > 0 ? "; " : "").Append(n).Append(' ').Append(reason);
                var top = _bySource.OrderByDescending(p => p.Value).Take(3).Select(p => $"{p.Key} ×{p.Value}");
                summary = $"{text} — {_bySource.Count} sources, most from {string.Join(", ", top)}";
            }

            _intervalStart = now;
            _detailed = 0;
            _suppressed = 0;
            _byReason.Clear();
            _bySource.Clear();
        }

        if (summary is not null)
        {
            logger.LogWarning("refused {Count} more connections or handshakes in the last {Seconds} s without a line each: {Summary}",
                suppressed, (int)Interval.TotalSeconds, summary);
        }
    }
}
