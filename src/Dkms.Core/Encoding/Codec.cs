using MessagePack;

namespace Dkms.Core.Encoding;

/// <summary>
/// The one MessagePack configuration of the product: integer keys, our fixed-size formatters, and
/// the untrusted-data security mode (bounded depth, collision-resistant hashing) for everything
/// read from the outside.
/// </summary>
public static class Codec
{
    /// <summary>Deepest object nesting accepted from untrusted bytes; our types nest fewer than 8 levels.</summary>
    public const int MaxDepth = 16;

    public static readonly MessagePackSerializerOptions Options = MessagePackSerializerOptions.Standard
        .WithResolver(CodecResolver.Instance)
        .WithSecurity(MessagePackSecurity.UntrustedData.WithMaximumObjectGraphDepth(MaxDepth))
        .WithCompression(MessagePackCompression.None);

    public static byte[] Encode<T>(T value) => MessagePackSerializer.Serialize(value, Options);

    public static T Decode<T>(ReadOnlyMemory<byte> bytes) => MessagePackSerializer.Deserialize<T>(bytes, Options);

    /// <summary>Decodes untrusted bytes; false with a reason for anything that is not a valid encoding of <typeparamref name="T"/>.</summary>
    public static bool TryDecode<T>(ReadOnlyMemory<byte> bytes, out T? value, out string error)
    {
        try
        {
            var reader = new MessagePackReader(bytes);
            value = MessagePackSerializer.Deserialize<T>(ref reader, Options);
            if (!reader.End)
            {
                error = "trailing bytes after the encoded value";
                value = default;
                return false;
            }

            error = "";
            return value is not null;
        }
        catch (Exception e) when (e is MessagePackSerializationException or EndOfStreamException or ArgumentException or OverflowException or InvalidOperationException or FormatException)
        {
            value = default;
            error = Describe(e);
            return false;
        }
    }

    private static string Describe(Exception e)
    {
        // MessagePack wraps the real cause; the innermost message is the useful one.
        while (e.InnerException is not null) e = e.InnerException;
        return e.Message;
    }
}
