using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Dkms.Node.Supervision;

/// <summary>
/// Runs the node's background loops and watches the ones that run on threads of their own. A loop that throws, or that
/// returns while the node is not stopping, is a failed loop: it is recorded (<see cref="Loops"/>, for <c>/health</c>),
/// counted (<see cref="NodeMetrics.LoopFailures"/>) and completes <see cref="Failed"/>, on which <c>dkms-node run</c>
/// stops with a message naming the loop. A node with a dead loop must not go on half-alive (async submissions pending
/// forever, gossip silently gone) while its health says ok.
/// </summary>
public sealed partial class LoopSupervisor : ILoopRunner
{
    private readonly ConcurrentDictionary<string, LoopRecord> _loops = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource<LoopFailure> _failed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stopping = new();
    private readonly ILogger _logger;
    private readonly NodeMetrics? _metrics;
    private readonly TimeProvider _time;

    public LoopSupervisor(ILogger logger, TimeProvider time, NodeMetrics? metrics = null)
    {
        _logger = logger;
        _time = time;
        _metrics = metrics;
    }

    /// <summary>Cancelled when the node stops: loops end then, and their ending is no failure.</summary>
    public CancellationToken Stopping => _stopping.Token;

    public bool IsStopping => _stopping.IsCancellationRequested;

    /// <summary>Completes with the first loop failure (never if none fails).</summary>
    public Task<LoopFailure> Failed => _failed.Task;

    /// <summary>Every loop known, in name order: what <c>/health</c> shows.</summary>
    public IReadOnlyList<LoopStatus> Loops => [.. _loops.Values.Select(r => r.Status).OrderBy(s => s.Name, StringComparer.Ordinal)];

    /// <summary>True while no loop has failed.</summary>
    public bool Healthy => !_failed.Task.IsCompleted;

    /// <summary>Runs <paramref name="body"/> on the thread pool as the loop <paramref name="name"/>. The returned task
    /// ends as the body does (faulted with its exception), after the supervisor recorded it.</summary>
    public Task Run(string name, Func<CancellationToken, Task> body, LoopEnd end = LoopEnd.WhenStopped)
    {
        var record = Register(name);
        return Task.Run(async () =>
        {
            try
            {
                await body(_stopping.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (IsStopping)
            {
            }
            catch (Exception e)
            {
                Fail(record, e);
                throw;
            }

            Ended(record, end);
        });
    }

    /// <summary>Watches a loop that runs on a thread of its own: <paramref name="ended"/> completes when it ends,
    /// faulted if it failed.</summary>
    public void Watch(string name, Task ended, LoopEnd end = LoopEnd.WhenStopped)
    {
        var record = Register(name);
        _ = ended.ContinueWith(t =>
        {
            if (t.IsFaulted) Fail(record, t.Exception!.InnerExceptions.Count == 1 ? t.Exception.InnerException! : t.Exception);
            else Ended(record, end);
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>Marks the node as stopping: loops that end from now on stopped, they did not fail.</summary>
    public void BeginStop()
    {
        if (!_stopping.IsCancellationRequested) _stopping.Cancel();
    }

    private LoopRecord Register(string name)
    {
        var record = new LoopRecord(name);
        if (!_loops.TryAdd(name, record)) throw new InvalidOperationException($"a loop named '{name}' runs already");
        _metrics?.LoopUp.WithLabels(name).Set(1);
        _metrics?.LoopFailures.WithLabels(name); // the series exists (at 0) before any failure
        return record;
    }

    private void Ended(LoopRecord record, LoopEnd end)
    {
        if (IsStopping || end == LoopEnd.WhenDone)
        {
            record.Status = record.Status with { State = IsStopping ? LoopState.Stopped : LoopState.Done };
            _metrics?.LoopUp.WithLabels(record.Name).Set(0);
            return;
        }

        // A loop meant to run until the node stops returned on its own: whatever ended it was swallowed inside.
        Fail(record, new LoopEndedException($"the {record.Name} loop ended while the node was running"));
    }

    private void Fail(LoopRecord record, Exception e)
    {
        var message = Describe(e);
        record.Status = record.Status with { State = LoopState.Failed, LastError = message, FailedAt = _time.GetUtcNow() };
        _metrics?.LoopUp.WithLabels(record.Name).Set(0);
        _metrics?.LoopFailures.WithLabels(record.Name).Inc();
        if (IsStopping)
        {
            // A loop failing while the node stops (its store closed under it, say) is logged, not a reason to exit non-zero.
            LogFailedWhileStopping(_logger, record.Name, message);
            return;
        }

        LogFailed(_logger, e, record.Name);
        _failed.TrySetResult(new LoopFailure(record.Name, message, e));
    }

    /// <summary>The exception's type and message, one line, bounded: what <c>/health</c> shows. No stack trace, no inner
    /// exception (the log has those): an inner message may carry data this node must not show to any caller.</summary>
    internal static string Describe(Exception e)
    {
        var text = $"{e.GetType().Name}: {e.Message}".ReplaceLineEndings(" ");
        return text.Length <= MaxErrorChars ? text : text[..MaxErrorChars] + "…";
    }

    private const int MaxErrorChars = 300;

    [LoggerMessage(Level = LogLevel.Critical, Message = "The {Loop} loop failed; the node stops")]
    private static partial void LogFailed(ILogger logger, Exception e, string loop);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The {Loop} loop failed while the node was stopping: {Error}")]
    private static partial void LogFailedWhileStopping(ILogger logger, string loop, string error);

    private sealed class LoopRecord(string name)
    {
        private LoopStatus _status = new(name, LoopState.Running, null, null);

        public string Name => name;

        public LoopStatus Status
        {
            get => Volatile.Read(ref _status);
            set => Volatile.Write(ref _status, value);
        }
    }
}

/// <summary>Starts a background loop under supervision (<see cref="LoopSupervisor"/>): parts that own a loop take this,
/// so the node decides how loops are watched.</summary>
public interface ILoopRunner
{
    Task Run(string name, Func<CancellationToken, Task> body, LoopEnd end = LoopEnd.WhenStopped);
}

/// <summary>When a loop is expected to end.</summary>
public enum LoopEnd
{
    /// <summary>Runs until the node stops; ending earlier is a failure.</summary>
    WhenStopped,

    /// <summary>A one-off task (the journal replay at start) that may finish on its own.</summary>
    WhenDone,
}

public enum LoopState
{
    Running,
    Done,
    Stopped,
    Failed,
}

/// <summary>One loop as <c>/health</c> shows it; <paramref name="LastError"/> is the exception's type and message.</summary>
public sealed record LoopStatus(string Name, LoopState State, string? LastError, DateTimeOffset? FailedAt);

/// <summary>The first loop that failed: its name, the message shown, and the exception (for the log and damage checks).</summary>
public sealed record LoopFailure(string Loop, string Message, Exception Exception);

/// <summary>A loop returned while the node was running (its body swallowed whatever ended it).</summary>
public sealed class LoopEndedException(string message) : Exception(message);
