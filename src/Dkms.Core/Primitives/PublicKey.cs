namespace Dkms.Core.Primitives;

/// <summary>
/// A 32-byte public key: Ed25519 for signing and agent keys, X25519 for key-agreement keys.
/// The field that holds it says which; the bytes are opaque here.
/// </summary>
public readonly struct PublicKey : IEquatable<PublicKey>, IComparable<PublicKey>
{
    public const int Size = 32;

    // A hash-shaped value is the cheapest 32-byte value type we have; reuse its equality and order.
    private readonly Hash32 _bytes;

    public PublicKey(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Size)
        {
            throw new ArgumentException($"a public key is {Size} bytes, got {bytes.Length}", nameof(bytes));
        }

        _bytes = new Hash32(bytes);
    }

    public bool IsZero => _bytes.IsZero;

    /// <summary>SHA-256 of the key bytes: the commitment used for pre-rotated next keys.</summary>
    public Hash32 Digest()
    {
        Span<byte> b = stackalloc byte[Size];
        _bytes.CopyTo(b);
        return Hash32.Sha256(b);
    }

    public void CopyTo(Span<byte> destination) => _bytes.CopyTo(destination);

    public byte[] ToArray() => _bytes.ToArray();

    public static PublicKey ParseHex(string hex) => new(Convert.FromHexString(hex));

    public string ToHex() => _bytes.ToHex();

    public override string ToString() => ToHex();

    public bool Equals(PublicKey other) => _bytes.Equals(other._bytes);

    public override bool Equals(object? obj) => obj is PublicKey k && Equals(k);

    public override int GetHashCode() => _bytes.GetHashCode();

    public int CompareTo(PublicKey other) => _bytes.CompareTo(other._bytes);

    public static bool operator ==(PublicKey a, PublicKey b) => a.Equals(b);
    public static bool operator !=(PublicKey a, PublicKey b) => !a.Equals(b);
    public static bool operator <(PublicKey a, PublicKey b) => a.CompareTo(b) < 0;
    public static bool operator >(PublicKey a, PublicKey b) => a.CompareTo(b) > 0;
    public static bool operator <=(PublicKey a, PublicKey b) => a.CompareTo(b) <= 0;
    public static bool operator >=(PublicKey a, PublicKey b) => a.CompareTo(b) >= 0;
}
