using Dkms.Node.Rpc;
using Microsoft.Extensions.Logging;

namespace Dkms.Node.Logging;

/// <summary>
/// The web host's logger factory: the node's own factory (one per node, so the web host's lines get the same settings,
/// filters and file as the node's), plus Kestrel's bad-request lines to the client-fault log (<see cref="KestrelFaultLog"/>).
/// The caller owns the node's factory: disposing this one leaves it alone.
/// </summary>
internal sealed class WebHostLoggers(ILoggerFactory node, KestrelFaultLog faults) : ILoggerFactory
{
    /// <summary>The node's factory, which this one serves the web host from.</summary>
    internal ILoggerFactory Node => node;

    public ILogger CreateLogger(string categoryName)
    {
        var logger = node.CreateLogger(categoryName);
        return categoryName == KestrelFaultLog.Category ? new Both(logger, faults.CreateLogger(categoryName)) : logger;
    }

    /// <summary>A provider the web host adds goes to the node's factory: there is only one.</summary>
    public void AddProvider(ILoggerProvider provider) => node.AddProvider(provider);

    public void Dispose()
    {
    }

    private sealed class Both(ILogger first, ILogger second) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => first.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => first.IsEnabled(logLevel) || second.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (first.IsEnabled(logLevel)) first.Log(logLevel, eventId, state, exception, formatter);
            if (second.IsEnabled(logLevel)) second.Log(logLevel, eventId, state, exception, formatter);
        }
    }
}
