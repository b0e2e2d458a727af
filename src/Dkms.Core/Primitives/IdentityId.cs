using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;

namespace Dkms.Core.Primitives;

/// <summary>
/// A self-certifying identifier: the first 16 bytes of SHA-256 of the canonical inception body,
/// written <c>did:dkms:&lt;base58btc&gt;</c>.
/// </summary>
public readonly record struct IdentityId(UInt128 Value) : IComparable<IdentityId>
{
    public const int Size = 16;
    public const string Prefix = "did:dkms:";

    public static IdentityId FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Size)
        {
            throw new ArgumentException($"an identity id is {Size} bytes, got {bytes.Length}", nameof(bytes));
        }

        return new IdentityId(BinaryPrimitives.ReadUInt128BigEndian(bytes));
    }

    /// <summary>The identifier of an identity whose canonical inception payload is <paramref name="inceptionBody"/>.</summary>
    public static IdentityId Derive(ReadOnlySpan<byte> inceptionBody)
    {
        Span<byte> h = stackalloc byte[Hash32.Size];
        Hash32.Sha256(inceptionBody).CopyTo(h);
        return FromBytes(h[..Size]);
    }

    public void CopyTo(Span<byte> destination) => BinaryPrimitives.WriteUInt128BigEndian(destination, Value);

    public byte[] ToArray()
    {
        var a = new byte[Size];
        CopyTo(a);
        return a;
    }

    public static bool TryParse(string? text, [NotNullWhen(true)] out IdentityId id)
    {
        id = default;
        if (text is null || !text.StartsWith(Prefix, StringComparison.Ordinal)) return false;
        if (!Base58.TryDecode(text[Prefix.Length..], out var bytes) || bytes.Length != Size) return false;
        id = FromBytes(bytes);
        // Reject non-canonical spellings (for example extra leading '1's) so one identity has one name.
        return id.ToString() == text;
    }

    public static IdentityId Parse(string text) =>
        TryParse(text, out var id) ? id : throw new FormatException($"not a did:dkms identifier: '{text}'");

    public override string ToString() => Prefix + Base58.Encode(ToArray());

    public int CompareTo(IdentityId other) => Value.CompareTo(other.Value);
}
