using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Dkms.Node.Logging;

/// <summary>
/// A log file that rotates by size: when the next line would take <c>path</c> past <see cref="MaxBytes"/>, it becomes
/// <c>path.1</c> (older ones shift to <c>.2</c>, …) and the oldest beyond <see cref="MaxFiles"/> files is deleted, so
/// the log never takes more than about <c>MaxBytes × MaxFiles</c> of disk however much is logged. One line per entry
/// (exceptions on the lines after it), flushed at once so a crash loses nothing. A line that cannot be written (a full
/// disk) is dropped and counted; logging never stops the node. One instance may serve several logger factories.
/// </summary>
public sealed class RotatingLogFile : ILoggerProvider
{
    private readonly Lock _lock = new();
    private readonly TimeProvider _time;
    private FileStream? _file;
    private long _size;
    private long _dropped;
    private bool _disposed;

    public RotatingLogFile(string path, long maxBytes, int maxFiles, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBytes, 1024);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxFiles, 1);
        Path = System.IO.Path.GetFullPath(path);
        MaxBytes = maxBytes;
        MaxFiles = maxFiles;
        _time = time ?? TimeProvider.System;
        if (System.IO.Path.GetDirectoryName(Path) is { Length: > 0 } dir) Directory.CreateDirectory(dir);
        Open();
    }

    public string Path { get; }

    /// <summary>Largest size of one file, bytes.</summary>
    public long MaxBytes { get; }

    /// <summary>Files kept: the current one and <c>MaxFiles - 1</c> older ones.</summary>
    public int MaxFiles { get; }

    /// <summary>Lines that could not be written (e.g. a full disk).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>From settings <c>Logging:File:{Path, MaxSizeMB, MaxFiles}</c>; null when no path is set.</summary>
    public static RotatingLogFile? FromSettings(string? path, string? maxSizeMb, string? maxFiles)
    {
        if (string.IsNullOrWhiteSpace(path)) return null;
        var mb = ParsePositive(maxSizeMb, 10, "Logging:File:MaxSizeMB");
        var files = ParsePositive(maxFiles, 5, "Logging:File:MaxFiles");
        try
        {
            return new RotatingLogFile(path, mb * 1024L * 1024L, files);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new NodeConfigurationException($"cannot open the log file '{path}': {e.Message}");
        }
    }

    public ILogger CreateLogger(string categoryName) => new FileLogger(this, categoryName);

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            _file?.Dispose();
            _file = null;
        }
    }

    internal void Write(string category, LogLevel level, EventId eventId, string message, Exception? exception)
    {
        var line = new StringBuilder(message.Length + 80)
            .Append(_time.GetLocalNow().ToString("yyyy-MM-dd HH:mm:ss.fff ", CultureInfo.InvariantCulture))
            .Append(LevelName(level)).Append(": ").Append(category).Append('[').Append(eventId.Id).Append("] ")
            .Append(message.ReplaceLineEndings(" "));
        if (exception is not null) line.Append('\n').Append(exception);
        line.Append('\n');
        var bytes = Encoding.UTF8.GetBytes(line.ToString());
        lock (_lock)
        {
            if (_disposed) return;
            try
            {
                if (_file is null) Open();
                if (_size > 0 && _size + bytes.Length > MaxBytes) Rotate();
                _file!.Write(bytes);
                _file.Flush();
                _size += bytes.Length;
            }
            catch (IOException)
            {
                // A full disk or a removed folder: drop the line, and reopen at the next one.
                Interlocked.Increment(ref _dropped);
                _file?.Dispose();
                _file = null;
            }
        }
    }

    private void Open()
    {
        _file = new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
        _size = _file.Length;
    }

    private void Rotate()
    {
        _file?.Dispose();
        _file = null;
        if (MaxFiles > 1) File.Delete(Older(MaxFiles - 1));
        for (var i = MaxFiles - 2; i >= 1; i--)
        {
            if (File.Exists(Older(i))) File.Move(Older(i), Older(i + 1), overwrite: true);
        }

        if (MaxFiles > 1) File.Move(Path, Older(1), overwrite: true);
        else File.Delete(Path);
        Open();
    }

    /// <summary><c>path.n</c>, the n-th older file.</summary>
    private string Older(int n) => $"{Path}.{n}";

    private static int ParsePositive(string? text, int fallback, string name)
    {
        if (string.IsNullOrWhiteSpace(text)) return fallback;
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
            ? n
            : throw new NodeConfigurationException($"{name} must be a positive whole number, not '{text}'");
    }

    private static string LevelName(LogLevel level) => level switch
    {
        LogLevel.Trace => "trce",
        LogLevel.Debug => "dbug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "fail",
        LogLevel.Critical => "crit",
        _ => "none",
    };

    private sealed class FileLogger(RotatingLogFile file, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            file.Write(category, logLevel, eventId, formatter(state, exception), exception);
        }
    }
}
