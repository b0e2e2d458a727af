using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Dkms.Storage;

/// <summary>
/// A small file beside the RocksDB files holding the sequence number of the last write that was synced to disk.
/// RocksDB's log recovery cannot tell a write-ahead log cut on a record boundary from one that simply ended there,
/// so it would reopen a store that lost acknowledged writes; comparing the recovered sequence with this mark
/// finds that. The mark only moves after a synced write returned, so it never claims more than the log holds.
/// </summary>
/// <remarks>
/// The first update writes a temporary file, syncs it and renames it over the mark: a crash leaves the old or the new
/// mark, both true; later updates overwrite the same fixed-length line in place (see <see cref="Replace"/>). The directory itself is not synced — a rename lost in a crash leaves the older, lower mark,
/// which is still true (it only checks less).
/// </remarks>
internal sealed class SyncedWriteMark : IDisposable
{
    public const string FileName = "DKMS-SYNCED-SEQUENCE";
    private const string Tag = "dkms-synced-sequence v1";

    private readonly string _path;
    private readonly string _temp;
    private SafeFileHandle? _inPlace;

    public SyncedWriteMark(string directory)
    {
        _path = System.IO.Path.Combine(directory, FileName);
        _temp = _path + ".tmp";
    }

    public string Path => _path;

    public ulong Sequence { get; private set; }

    public bool Exists => File.Exists(_path);

    /// <summary>Reads the mark; false with <paramref name="why"/> when it does not parse or its check fails.</summary>
    public bool TryRead(out ulong sequence, out string why)
    {
        sequence = 0;
        string text;
        try
        {
            text = File.ReadAllText(_path, Encoding.ASCII);
        }
        catch (IOException e)
        {
            why = $"cannot be read ({e.Message})";
            return false;
        }

        var parts = text.TrimEnd('\n').Split(' ');
        if (parts.Length != 4 || $"{parts[0]} {parts[1]}" != Tag
            || !ulong.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            || parts[3] != Check(value))
        {
            why = "is damaged (its contents do not parse or their check fails)";
            return false;
        }

        sequence = value;
        Sequence = value;
        why = "";
        return true;
    }

    /// <summary>Records <paramref name="sequence"/> durably. Called only after the write it names was synced.</summary>
    public void Advance(ulong sequence)
    {
        if (sequence <= Sequence && Exists) return;
        var bytes = Encoding.ASCII.GetBytes(
            $"{Tag} {sequence.ToString("D20", CultureInfo.InvariantCulture)} {Check(sequence)}\n");
        try
        {
            if (_inPlace is not null) WriteInPlace(_inPlace, bytes);
            else Replace(bytes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StorageException($"cannot write the synced-write mark {_path}: {e.Message}", e);
        }

        Sequence = sequence;
    }

    public void Dispose() => _inPlace?.Dispose();

    // The first write (and any on a system without fdatasync) replaces the file: a temporary file, synced, renamed
    // over the mark — a crash leaves the old or the new one. After that every update overwrites the same fixed-length
    // line in place and syncs only its data: a rename and a full fsync per update each force a file-system journal
    // commit, which the write-ahead log's own syncs (and those of other validators on one disk) then wait behind — it
    // doubled the block time of a four-validator testnet. A line torn by power loss mid-write fails its check and the
    // store is refused rather than trusted.
    private void Replace(byte[] bytes)
    {
        using (var file = new FileStream(_temp, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.None))
        {
            file.Write(bytes);
            file.Flush(flushToDisk: true);
        }

        File.Move(_temp, _path, overwrite: true);
        if (OperatingSystem.IsLinux()) _inPlace = File.OpenHandle(_path, FileMode.Open, FileAccess.Write);
    }

    private static void WriteInPlace(SafeFileHandle handle, byte[] bytes)
    {
        RandomAccess.Write(handle, bytes, 0);
        if (fdatasync(handle) != 0)
        {
            throw new IOException($"fdatasync failed (errno {Marshal.GetLastPInvokeError()})");
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int fdatasync(SafeFileHandle fd);

    /// <summary>The first 8 bytes of SHA-256 over the tag and the number, in hex: a flipped digit is caught.</summary>
    private static string Check(ulong sequence) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes($"{Tag} {sequence.ToString(CultureInfo.InvariantCulture)}")).AsSpan(0, 8));
}
