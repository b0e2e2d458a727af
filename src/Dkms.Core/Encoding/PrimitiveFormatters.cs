using Dkms.Core.Primitives;
using MessagePack;
using MessagePack.Formatters;

namespace Dkms.Core.Encoding;

/// <summary>Fixed-size values are written as MessagePack bin of exactly their size; anything else is malformed.</summary>
public sealed class Hash32Formatter : IMessagePackFormatter<Hash32>
{
    public void Serialize(ref MessagePackWriter writer, Hash32 value, MessagePackSerializerOptions options)
    {
        writer.WriteBinHeader(Hash32.Size);
        var span = writer.GetSpan(Hash32.Size);
        value.CopyTo(span);
        writer.Advance(Hash32.Size);
    }

    public Hash32 Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options) =>
        new(FixedBin.Read(ref reader, Hash32.Size, "hash"));
}

public sealed class PublicKeyFormatter : IMessagePackFormatter<PublicKey>
{
    public void Serialize(ref MessagePackWriter writer, PublicKey value, MessagePackSerializerOptions options)
    {
        writer.WriteBinHeader(PublicKey.Size);
        var span = writer.GetSpan(PublicKey.Size);
        value.CopyTo(span);
        writer.Advance(PublicKey.Size);
    }

    public PublicKey Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options) =>
        new(FixedBin.Read(ref reader, PublicKey.Size, "public key"));
}

public sealed class IdentityIdFormatter : IMessagePackFormatter<IdentityId>
{
    public void Serialize(ref MessagePackWriter writer, IdentityId value, MessagePackSerializerOptions options)
    {
        writer.WriteBinHeader(IdentityId.Size);
        var span = writer.GetSpan(IdentityId.Size);
        value.CopyTo(span);
        writer.Advance(IdentityId.Size);
    }

    public IdentityId Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options) =>
        IdentityId.FromBytes(FixedBin.Read(ref reader, IdentityId.Size, "identity id"));
}

internal static class FixedBin
{
    public static ReadOnlySpan<byte> Read(ref MessagePackReader reader, int size, string what)
    {
        var seq = reader.ReadBytes() ?? throw new MessagePackSerializationException($"{what}: expected {size} bytes, got nil");
        if (seq.Length != size)
        {
            throw new MessagePackSerializationException($"{what}: expected {size} bytes, got {seq.Length}");
        }

        return seq.IsSingleSegment ? seq.FirstSpan : System.Buffers.BuffersExtensions.ToArray(seq);
    }
}
