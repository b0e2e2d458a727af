using Dkms.Node.Supervision;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Dkms.Node.Tests.Supervision;

/// <summary>The supervisor's own rules: what counts as a failed loop, and what does not.</summary>
public sealed class LoopSupervisorTests
{
    private static LoopSupervisor NewSupervisor(NodeMetrics? metrics = null) =>
        new(NullLogger.Instance, new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero)), metrics);

    [Fact]
    public async Task A_loop_that_returns_while_the_node_runs_has_failed_even_without_an_exception()
    {
        var supervisor = NewSupervisor();
        await supervisor.Run("quiet", _ => Task.CompletedTask);

        var failure = await supervisor.Failed;
        Assert.Equal("quiet", failure.Loop);
        Assert.IsType<LoopEndedException>(failure.Exception);
        Assert.False(supervisor.Healthy);
        Assert.Equal(LoopState.Failed, supervisor.Loops.Single().State);
    }

    [Fact]
    public async Task A_loop_that_throws_fails_with_its_message_and_the_task_keeps_the_exception()
    {
        var metrics = new NodeMetrics();
        var supervisor = NewSupervisor(metrics);
        var run = supervisor.Run("thrower", _ => throw new InvalidOperationException("broken\nacross lines"));

        await Assert.ThrowsAsync<InvalidOperationException>(() => run);
        var failure = await supervisor.Failed;
        Assert.Equal("InvalidOperationException: broken across lines", failure.Message);
        Assert.Equal(1, metrics.LoopFailures.WithLabels("thrower").Value);
        Assert.Equal(0, metrics.LoopUp.WithLabels("thrower").Value);
    }

    [Fact]
    public async Task Loops_that_end_or_throw_once_the_node_stops_have_not_failed()
    {
        var supervisor = NewSupervisor();
        var waiting = supervisor.Run("waits", ct => Task.Delay(Timeout.Infinite, ct));
        var closing = new TaskCompletionSource();
        var throwsOnClose = supervisor.Run("closes", async _ =>
        {
            await closing.Task;
            throw new ObjectDisposedException("store");
        });

        supervisor.BeginStop();
        closing.SetResult();
        await waiting;
        await Assert.ThrowsAsync<ObjectDisposedException>(() => throwsOnClose);

        Assert.True(supervisor.Healthy);
        Assert.False(supervisor.Failed.IsCompleted);
        Assert.Equal(LoopState.Stopped, supervisor.Loops.Single(l => l.Name == "waits").State);
    }

    [Fact]
    public async Task A_one_off_task_may_finish_and_a_watched_thread_that_faults_fails()
    {
        var supervisor = NewSupervisor();
        await supervisor.Run("replay", _ => Task.CompletedTask, LoopEnd.WhenDone);
        var thread = new TaskCompletionSource();
        supervisor.Watch("writer", thread.Task);
        Assert.True(supervisor.Healthy);

        thread.SetException(new IOException("disk gone"));

        var failure = await supervisor.Failed;
        Assert.Equal("writer", failure.Loop);
        Assert.Equal(LoopState.Done, supervisor.Loops.Single(l => l.Name == "replay").State);
    }
}
