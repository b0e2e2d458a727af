namespace Dkms.Cli.Infrastructure;

/// <summary>The small private files of this client's own state (verified heights, trusted validator sets): a directory only
/// the user reads, an exclusive lock file beside each, and atomic replacement.</summary>
internal static class FileStore
{
    private static readonly TimeSpan LockWait = TimeSpan.FromSeconds(10);

    public static void EnsurePrivateDirectory(string path)
    {
        var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        if (Directory.Exists(dir)) return;
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(dir);
        else Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    /// <summary>An exclusive lock on a file beside <paramref name="path"/>, so two runs do not lose each other's update.</summary>
    public static FileStream Lock(string path)
    {
        var lockPath = path + ".lock";
        var deadline = DateTime.UtcNow + LockWait;
        while (true)
        {
            try
            {
                var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None };
                if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
                return new FileStream(lockPath, options);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(20);
            }
        }
    }

    /// <summary>Replaces the file atomically (temp file, fsync, rename); created readable and writable by the owner only.</summary>
    public static void WritePrivately(string path, byte[] content)
    {
        var full = System.IO.Path.GetFullPath(path);
        var temp = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(full)!, $".{System.IO.Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            using (var stream = new FileStream(temp, options))
            {
                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }
}
