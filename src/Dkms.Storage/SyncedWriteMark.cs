using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Dkms.Storage;

/// <summary>
/// A small file beside the RocksDB files holding the sequence number of the last write that was synced to disk.
/// RocksDB's log recovery cannot tell a write-ahead log cut on a record boundary from one that simply ended there,
/// so it would reopen a store that lost acknowledged writes; comparing the recovered sequence with this mark
/// finds that. The mark only moves after a synced write returned, so it never claims more than the log holds.
/// </summary>
/// <remarks>
/// Each update writes a temporary file, syncs it and renames it over the mark: a crash leaves the old or the new
/// mark, both true. The directory itself is not synced — a rename lost in a crash leaves the older, lower mark,
/// which is still true (it only checks less).
/// </remarks>
internal sealed class SyncedWriteMark
{
    public const string FileName = "DKMS-SYNCED-SEQUENCE";
    private const string Tag = "dkms-synced-sequence v1";

    private readonly string _path;
    private readonly string _temp;

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
        var bytes = Encoding.ASCII.GetBytes($"{Tag} {sequence.ToString(CultureInfo.InvariantCulture)} {Check(sequence)}\n");
        try
        {
            using (var file = new FileStream(_temp, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.None))
            {
                file.Write(bytes);
                file.Flush(flushToDisk: true);
            }

            File.Move(_temp, _path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StorageException($"cannot write the synced-write mark {_path}: {e.Message}", e);
        }

        Sequence = sequence;
    }

    /// <summary>The first 8 bytes of SHA-256 over the tag and the number, in hex: a flipped digit is caught.</summary>
    private static string Check(ulong sequence) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes($"{Tag} {sequence.ToString(CultureInfo.InvariantCulture)}")).AsSpan(0, 8));
}
