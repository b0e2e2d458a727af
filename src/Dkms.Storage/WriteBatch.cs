namespace Dkms.Storage;

/// <summary>An ordered list of puts and deletes to apply atomically. Later operations on a key win.</summary>
public sealed class WriteBatch
{
    private readonly List<(byte[] Key, byte[]? Value)> _ops;

    public WriteBatch()
        : this(0)
    {
    }

    /// <summary>A batch with room for <paramref name="capacity"/> operations before its list grows.</summary>
    public WriteBatch(int capacity) => _ops = new(capacity);

    public int Count => _ops.Count;

    /// <summary>Total key and value bytes: what the batch will write.</summary>
    public long Size { get; private set; }

    public IReadOnlyList<(byte[] Key, byte[]? Value)> Operations => _ops;

    public WriteBatch Put(byte[] key, byte[] value)
    {
        _ops.Add((key, value));
        Size += key.Length + value.Length;
        return this;
    }

    public WriteBatch Delete(byte[] key)
    {
        _ops.Add((key, null));
        Size += key.Length;
        return this;
    }
}
