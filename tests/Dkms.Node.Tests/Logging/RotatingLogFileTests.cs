using Dkms.Node.Logging;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Dkms.Node.Tests.Logging;

/// <summary>The node's log file rotates by size: however much is logged, it keeps a bounded number of bounded files.</summary>
public sealed class RotatingLogFileTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "dkms-log-" + Guid.NewGuid().ToString("N")[..12]);

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public void A_flood_of_lines_leaves_at_most_MaxFiles_files_of_at_most_MaxBytes_with_the_newest_lines_in_the_current_one()
    {
        var path = Path.Combine(_dir, "node.log");
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));
        using (var file = new RotatingLogFile(path, maxBytes: 4096, maxFiles: 3, clock))
        {
            var logger = file.CreateLogger("Test");
            for (var i = 0; i < 2_000; i++) logger.LogWarning("line {Number} of the flood", i);
            Assert.Equal(0, file.Dropped);
        }

        var files = Directory.GetFiles(_dir).Order().ToArray();
        Assert.Equal([path, path + ".1", path + ".2"], files);
        foreach (var f in files) Assert.InRange(new FileInfo(f).Length, 1, 4096);
        var current = File.ReadAllLines(path);
        Assert.EndsWith("warn: Test[0] line 1999 of the flood", current[^1], StringComparison.Ordinal);
        // Lines follow one another across files: the older file ends right before the current one starts.
        var older = File.ReadAllLines(path + ".1");
        Assert.Equal(Number(older[^1]) + 1, Number(current[0]));
    }

    [Fact]
    public void An_existing_file_is_appended_to_and_counts_toward_its_size()
    {
        var path = Path.Combine(_dir, "node.log");
        Directory.CreateDirectory(_dir);
        File.WriteAllText(path, new string('x', 4000) + "\n");
        using (var file = new RotatingLogFile(path, maxBytes: 4096, maxFiles: 2))
        {
            file.CreateLogger("Test").LogInformation("after the restart, with some length to it: {Text}", new string('y', 200));
        }

        Assert.StartsWith("xxxx", File.ReadAllText(path + ".1"), StringComparison.Ordinal);
        Assert.Contains("after the restart", File.ReadAllText(path), StringComparison.Ordinal);
    }

    [Fact]
    public void An_exception_is_written_after_its_line_and_multi_line_messages_stay_on_one_line()
    {
        var path = Path.Combine(_dir, "node.log");
        using (var file = new RotatingLogFile(path, maxBytes: 1 << 20, maxFiles: 2))
        {
            file.CreateLogger("Test").LogError(new InvalidOperationException("boom"), "first\nsecond");
        }

        var lines = File.ReadAllLines(path);
        Assert.EndsWith("fail: Test[0] first second", lines[0], StringComparison.Ordinal);
        Assert.Contains("InvalidOperationException: boom", lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public void Settings_default_to_10_MB_and_5_files_and_refuse_nonsense()
    {
        using (var file = RotatingLogFile.FromSettings(Path.Combine(_dir, "a.log"), null, null)!)
        {
            Assert.Equal(10L * 1024 * 1024, file.MaxBytes);
            Assert.Equal(5, file.MaxFiles);
        }

        Assert.Null(RotatingLogFile.FromSettings(null, "3", "3"));
        Assert.Throws<NodeConfigurationException>(() => RotatingLogFile.FromSettings(Path.Combine(_dir, "b.log"), "0", null));
        Assert.Throws<NodeConfigurationException>(() => RotatingLogFile.FromSettings(Path.Combine(_dir, "c.log"), null, "many"));
    }

    private static int Number(string line)
    {
        var words = line.Split(' ');
        return int.Parse(words[Array.IndexOf(words, "line") + 1], System.Globalization.CultureInfo.InvariantCulture);
    }
}
