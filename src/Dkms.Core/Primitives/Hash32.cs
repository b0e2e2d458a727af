using System.Buffers.Binary;

namespace Dkms.Core.Primitives;

/// <summary>A 32-byte digest (SHA-256). Stored as four words so equality and hashing are cheap.</summary>
public readonly struct Hash32 : IEquatable<Hash32>, IComparable<Hash32>
{
    public const int Size = 32;

    private readonly ulong _w0, _w1, _w2, _w3;

    public static readonly Hash32 Zero;

    public Hash32(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Size)
        {
            throw new ArgumentException($"a hash is {Size} bytes, got {bytes.Length}", nameof(bytes));
        }

        _w0 = BinaryPrimitives.ReadUInt64BigEndian(bytes);
        _w1 = BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]);
        _w2 = BinaryPrimitives.ReadUInt64BigEndian(bytes[16..]);
        _w3 = BinaryPrimitives.ReadUInt64BigEndian(bytes[24..]);
    }

    public bool IsZero => (_w0 | _w1 | _w2 | _w3) == 0;

    /// <summary>SHA-256 of <paramref name="data"/>.</summary>
    public static Hash32 Sha256(ReadOnlySpan<byte> data)
    {
        Span<byte> h = stackalloc byte[Size];
        Crypto.Sha256.HashData(data, h);
        return new Hash32(h);
    }

    public void CopyTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, _w0);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _w1);
        BinaryPrimitives.WriteUInt64BigEndian(destination[16..], _w2);
        BinaryPrimitives.WriteUInt64BigEndian(destination[24..], _w3);
    }

    public byte[] ToArray()
    {
        var a = new byte[Size];
        CopyTo(a);
        return a;
    }

    /// <summary>Bit <paramref name="index"/> counted from the most significant bit of byte 0.</summary>
    public int Bit(int index)
    {
        var word = (index >> 6) switch { 0 => _w0, 1 => _w1, 2 => _w2, 3 => _w3, _ => throw new ArgumentOutOfRangeException(nameof(index)) };
        return (int)((word >> (63 - (index & 63))) & 1);
    }

    public static Hash32 ParseHex(string hex) => new(Convert.FromHexString(hex));

    public string ToHex() => Convert.ToHexStringLower(ToArray());

    public override string ToString() => ToHex();

    public bool Equals(Hash32 other) => _w0 == other._w0 && _w1 == other._w1 && _w2 == other._w2 && _w3 == other._w3;

    public override bool Equals(object? obj) => obj is Hash32 h && Equals(h);

    public override int GetHashCode() => (int)_w0 ^ (int)(_w0 >> 32) ^ (int)_w1;

    public int CompareTo(Hash32 other)
    {
        var c = _w0.CompareTo(other._w0);
        if (c != 0) return c;
        c = _w1.CompareTo(other._w1);
        if (c != 0) return c;
        c = _w2.CompareTo(other._w2);
        return c != 0 ? c : _w3.CompareTo(other._w3);
    }

    public static bool operator ==(Hash32 a, Hash32 b) => a.Equals(b);
    public static bool operator !=(Hash32 a, Hash32 b) => !a.Equals(b);
    public static bool operator <(Hash32 a, Hash32 b) => a.CompareTo(b) < 0;
    public static bool operator >(Hash32 a, Hash32 b) => a.CompareTo(b) > 0;
    public static bool operator <=(Hash32 a, Hash32 b) => a.CompareTo(b) <= 0;
    public static bool operator >=(Hash32 a, Hash32 b) => a.CompareTo(b) >= 0;
}
