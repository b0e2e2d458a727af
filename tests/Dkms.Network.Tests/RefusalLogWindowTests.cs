using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Dkms.Network.Tests;

/// <summary>A node's refusal log on its injected clock: a few lines one by one per window, the rest in one summary when
/// the window ends — checked by moving the clock over a window rather than waiting for one.</summary>
public sealed class RefusalLogWindowTests
{
    [Fact]
    public void Refusals_past_the_windows_few_lines_are_summarized_once_when_the_window_ends_on_the_networks_clock()
    {
        var clock = new FakeTimeProvider();
        using var net = new TestNet(1, time: clock);
        var node = net.Start(0);
        // Three addresses, three clients each without the protocol tag: refused at connect, each a refusal to log.
        var clients = Enumerable.Range(2, 3)
            .SelectMany(a => Enumerable.Range(0, 3).Select(_ => new RawPeer(node.Network.ListenPort, dkmsTag: false, bind: IPAddress.Parse($"127.0.0.{a}"))))
            .ToList();
        try
        {
            Eventually.True(() => clients.All(c => c.Disconnected), "every client was refused");
            Assert.True(node.Network.Stats.RefusedHandshakes >= clients.Count);
            Assert.Equal(RefusalLog.DetailedPerInterval, Refusals(node).Count);
            Assert.Empty(Summaries(node));

            clock.Advance(RefusalLog.Interval - TimeSpan.FromMilliseconds(50));
            Eventually.Never(() => Summaries(node).Count > 0, "summarized before the window ended", TimeSpan.FromMilliseconds(200));
            clock.Advance(TimeSpan.FromMilliseconds(50));
            Eventually.True(() => Summaries(node).Count == 1, "one summary when the window ended");
            Assert.Contains("sources", Summaries(node)[0], StringComparison.Ordinal);

            // A new window: the next refusal is logged on its own again.
            using var next = new RawPeer(node.Network.ListenPort, dkmsTag: false, bind: IPAddress.Parse("127.0.0.9"));
            Eventually.True(() => Refusals(node).Count == RefusalLog.DetailedPerInterval + 1, "a refusal of the new window logged");
        }
        finally
        {
            foreach (var c in clients) c.Dispose();
        }
    }

    private static List<string> Refusals(TestNode node) =>
        [.. node.Log.Lines.Where(l => l.Level == LogLevel.Warning && l.Message.StartsWith("refused ", StringComparison.Ordinal)).Select(l => l.Message)];

    private static List<string> Summaries(TestNode node) =>
        [.. node.Log.Lines.Where(l => l.Message.Contains("suppressed", StringComparison.Ordinal)).Select(l => l.Message)];
}
