using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Dkms.Network.Tests;

/// <summary>The log for lines an outsider can cause: a flood gets a few lines per window and one summary, whatever its size.</summary>
public sealed class SourceLimitedLogTests
{
    [Fact]
    public void A_flood_from_many_sources_writes_two_lines_per_source_five_in_all_then_one_summary()
    {
        var clock = new FakeTimeProvider();
        var logger = new ListLogger<SourceLimitedLogTests>();
        using var log = new SourceLimitedLog(logger, clock, "refused connections");
        var written = 0;
        for (var i = 0; i < 10_000; i++)
        {
            // One loud source, then many others.
            var source = i < 100 ? "10.0.0.1" : $"10.1.{i % 250}.{i % 7}";
            if (log.Log(source, LogLevel.Warning, "refused {Source}", source)) written++;
        }

        Assert.Equal(5, written);
        Assert.Equal(2, logger.Lines.Count(l => l.Message == "refused 10.0.0.1"));
        Assert.Equal(5, logger.Lines.Count);

        clock.Advance(log.Window); // the timer ends the window without another line
        Assert.Equal(6, logger.Lines.Count);
        var summary = logger.Lines.Last().Message;
        Assert.StartsWith("9995 more refused connections suppressed in the last 10 s from ", summary, StringComparison.Ordinal);
        Assert.Contains("most from 10.0.0.1 ×98", summary, StringComparison.Ordinal);

        // The next window starts afresh.
        Assert.True(log.Log("10.0.0.1", LogLevel.Warning, "refused {Source}", "10.0.0.1"));
        Assert.Equal(1, log.TrackedSources);
    }

    [Fact]
    public void The_table_of_sources_stays_bounded_and_sources_past_it_are_summarized_together()
    {
        var clock = new FakeTimeProvider();
        var logger = new ListLogger<SourceLimitedLogTests>();
        using var log = new SourceLimitedLog(logger, clock, "bad requests", maxSources: 64);
        for (var i = 0; i < 5_000; i++) log.Log($"192.0.2.{i}", LogLevel.Information, "bad request from {Source}", i);

        Assert.Equal(64, log.TrackedSources);
        clock.Advance(log.Window);
        var summary = logger.Lines.Last().Message;
        Assert.Contains("4995 more bad requests", summary, StringComparison.Ordinal);
        Assert.Contains("from sources past the first 64", summary, StringComparison.Ordinal);
        Assert.Equal(0, log.TrackedSources);
    }

    [Fact]
    public void A_quiet_window_writes_no_summary_and_a_disabled_level_writes_nothing()
    {
        var clock = new FakeTimeProvider();
        var logger = new ListLogger<SourceLimitedLogTests>();
        using var log = new SourceLimitedLog(logger, clock, "things");
        Assert.True(log.Log("a", LogLevel.Warning, "one"));
        clock.Advance(log.Window * 3);
        Assert.Single(logger.Lines);

        using var quiet = new SourceLimitedLog(new InformationLogger(logger), clock, "things");
        Assert.False(quiet.Log("a", LogLevel.Debug, "not enabled"));
        Assert.Single(logger.Lines);
    }

    private sealed class InformationLogger(ILogger inner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel)) inner.Log(logLevel, eventId, state, exception, formatter);
        }
    }
}
