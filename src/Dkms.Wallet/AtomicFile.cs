namespace Dkms.Wallet;

/// <summary>
/// Replaces a file so that a crash leaves either the old or the new content, never a mix: write a
/// temporary file in the same directory, fsync it, rename it over the target, fsync the directory.
/// Every file is created owner read/write only (0600 on Unix) by the call that creates it, before
/// the first byte is written: what this library writes is a secret or the user's own data.
/// </summary>
public static class AtomicFile
{
    /// <summary>The mode of every file written here: owner read/write only.</summary>
    public const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private const UnixFileMode PrivateDirectoryMode = OwnerOnly | UnixFileMode.UserExecute;

    /// <summary>Atomically replaces <paramref name="path"/> with <paramref name="content"/>. <paramref name="beforeRename"/> is a test hook run after
    /// the temporary file is durable and before the rename (a crash is simulated by throwing).</summary>
    public static void Write(string path, ReadOnlySpan<byte> content, Action<string>? beforeRename = null)
    {
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full) ?? ".";
        var temp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, CreateOptions()))
            {
                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }

            beforeRename?.Invoke(temp);
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }

        SyncDirectory(dir);
    }

    /// <summary>Creates <paramref name="path"/> (and missing parents) owner-only (0700 on Unix); an existing directory is left as it is.</summary>
    public static void CreatePrivateDirectory(string path)
    {
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(path);
        else Directory.CreateDirectory(path, PrivateDirectoryMode);
    }

    /// <summary>A new file only (never an existing one, which could carry wider permissions), 0600 from creation.</summary>
    private static FileStreamOptions CreateOptions()
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = OwnerOnly;
        return options;
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // best effort: a stray temp file is harmless, the target is intact
        }
    }

    /// <summary>Makes the rename durable on Unix; Windows offers no directory handle to flush, and NTFS journals renames.</summary>
    private static void SyncDirectory(string dir)
    {
        if (OperatingSystem.IsWindows()) return;
        try
        {
            using var handle = File.OpenHandle(dir, FileMode.Open, FileAccess.Read);
            RandomAccess.FlushToDisk(handle);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // some file systems refuse to open directories; the data file itself is already synced
        }
    }
}
