using System.Text;
using Microsoft.Extensions.Logging;

namespace Dkms.Network;

/// <summary>
/// A log for lines that someone outside can cause (refused connections, malformed packets, broken requests): per
/// window, at most <see cref="PerSource"/> lines for one source and <see cref="PerWindow"/> in all; the rest are
/// counted and written as one summary line when the window ends ("N more … suppressed from M sources"). So a flood
/// costs a few lines per window whatever its size. The per-source table holds at most <see cref="MaxSources"/> sources;
/// sources beyond it are counted together. Any thread.
/// </summary>
public sealed class SourceLimitedLog : IDisposable
{
    public static readonly TimeSpan DefaultWindow = TimeSpan.FromSeconds(10);

    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly string _what;
    private readonly LogLevel _summaryLevel;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Source> _sources = new(StringComparer.Ordinal);
    private readonly ITimer _timer;
    private long _windowStart;
    private int _written;
    private long _suppressed;
    private long _untracked;

    /// <param name="what">What the lines are about, for the summary ("refused connections").</param>
    /// <param name="summaryLevel">Level of the summary line (the lines themselves have their own).</param>
    public SourceLimitedLog(ILogger logger, TimeProvider time, string what, LogLevel summaryLevel = LogLevel.Warning,
        int perSource = 2, int perWindow = 5, TimeSpan? window = null, int maxSources = 1024)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(perSource, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(perWindow, perSource);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSources, 1);
        _logger = logger;
        _time = time;
        _what = what;
        _summaryLevel = summaryLevel;
        PerSource = perSource;
        PerWindow = perWindow;
        Window = window ?? DefaultWindow;
        MaxSources = maxSources;
        _windowStart = time.GetTimestamp();
        // The summary of a window is written when the window ends even if no line comes after it.
        _timer = time.CreateTimer(_ => Flush(), null, Window, Window);
    }

    public int PerSource { get; }

    public int PerWindow { get; }

    public TimeSpan Window { get; }

    public int MaxSources { get; }

    /// <summary>Sources in the table now (bounded by <see cref="MaxSources"/>).</summary>
    public int TrackedSources
    {
        get
        {
            lock (_lock) return _sources.Count;
        }
    }

    public bool IsEnabled(LogLevel level) => _logger.IsEnabled(level);

    /// <summary>Writes the line unless its source or the window used up its lines; returns whether it was written.</summary>
    public bool Log(string source, LogLevel level, string template, params object?[] args)
    {
        if (!_logger.IsEnabled(level)) return false;
        Flush();
        if (!Admit(source)) return false;
#pragma warning disable CA2254 // the template is the caller's constant
        _logger.Log(level, template, args);
#pragma warning restore CA2254
        return true;
    }

    /// <summary>Whether a line of <paramref name="source"/> may be written now; counts it as suppressed otherwise.</summary>
    public bool Admit(string source)
    {
        lock (_lock)
        {
            if (!_sources.TryGetValue(source, out var entry))
            {
                if (_sources.Count >= MaxSources)
                {
                    // Past the table's bound nothing is known of this source: it gets no line of its own.
                    _untracked++;
                    _suppressed++;
                    return false;
                }

                _sources[source] = entry = new Source();
            }

            if (entry.Written < PerSource && _written < PerWindow)
            {
                entry.Written++;
                _written++;
                return true;
            }

            entry.Suppressed++;
            _suppressed++;
            return false;
        }
    }

    /// <summary>Ends the window if its time is up, writing the summary of what it held back.</summary>
    public void Flush()
    {
        string? summary = null;
        long suppressed;
        lock (_lock)
        {
            var now = _time.GetTimestamp();
            if (_time.GetElapsedTime(_windowStart, now) < Window) return;
            suppressed = _suppressed;
            if (suppressed > 0) summary = Summary();
            _windowStart = now;
            _written = 0;
            _suppressed = 0;
            _untracked = 0;
            _sources.Clear();
        }

        if (summary is null) return;
        try
        {
            _logger.Log(_summaryLevel, "{Count} more {What} suppressed in the last {Seconds} s from {Summary}",
                suppressed, _what, (int)Window.TotalSeconds, summary);
        }
        catch (ObjectDisposedException)
        {
            // the timer fired while the node's logging was being shut down
        }
    }

    public void Dispose() => _timer.Dispose();

    private string Summary()
    {
        var held = _sources.Where(p => p.Value.Suppressed > 0).ToList();
        var sources = held.Count + (_untracked > 0 ? 1 : 0);
        var text = new StringBuilder().Append(sources).Append(sources == 1 ? " source" : " sources");
        if (_untracked > 0) text.Append(" (").Append(_untracked).Append(" from sources past the first ").Append(MaxSources).Append(')');
        var top = held.OrderByDescending(p => p.Value.Suppressed).Take(3).Select(p => $"{p.Key} ×{p.Value.Suppressed}").ToList();
        if (top.Count > 0) text.Append(", most from ").AppendJoin(", ", top);
        return text.ToString();
    }

    private sealed class Source
    {
        public int Written;
        public long Suppressed;
    }
}
