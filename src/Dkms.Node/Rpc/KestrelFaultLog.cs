using Microsoft.Extensions.Logging;

namespace Dkms.Node.Rpc;

/// <summary>
/// Hears Kestrel's own lines about malformed HTTP (Debug, so the node's providers never see them) and passes them to
/// <see cref="RpcClientFaults"/>: counted as <c>bad_http</c> and logged rate-limited. Kestrel names no source address
/// in them, so they share one source.
/// </summary>
internal sealed class KestrelFaultLog(RpcClientFaults faults) : ILoggerProvider
{
    /// <summary>Kestrel's category for lines about bad requests; only it is heard (its other categories log per
    /// connection and request at Debug, which would then all be produced for nothing).</summary>
    public const string Category = "Microsoft.AspNetCore.Server.Kestrel.BadRequests";

    private readonly FaultLogger _logger = new(faults);

    public ILogger CreateLogger(string categoryName) =>
        categoryName == Category ? _logger : Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

    public void Dispose()
    {
    }

    private sealed class FaultLogger(RpcClientFaults faults) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Debug;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (eventId.Name != "ConnectionBadRequest") return;
            // A bad body the application was reading is reported both to it (counted by the middleware) and here.
            var connection = state is IReadOnlyList<KeyValuePair<string, object?>> fields
                ? fields.FirstOrDefault(f => f.Key == "ConnectionId").Value as string
                : null;
            if (faults.TakeCounted(connection)) return;
            faults.Note("bad_http", "http", formatter(state, exception));
        }
    }
}
