using Dkms.Core.Primitives;
using MessagePack;
using MessagePack.Formatters;
using MessagePack.Resolvers;

namespace Dkms.Core.Encoding;

/// <summary>
/// The product's formatters for its fixed-size primitives, then MessagePack's standard ones. Every generated
/// formatter asks the resolver for each member's formatter on every call; a composite resolver answers from a
/// type-keyed hash table (a <c>typeof(T)</c> lookup each time, ≈ 4% of a node's CPU under load), this one from a
/// static field per type, filled once.
/// </summary>
public sealed class CodecResolver : IFormatterResolver
{
    public static readonly CodecResolver Instance = new();

    private CodecResolver()
    {
    }

    public IMessagePackFormatter<T>? GetFormatter<T>() => Cache<T>.Formatter;

    private static class Cache<T>
    {
        public static readonly IMessagePackFormatter<T>? Formatter = (IMessagePackFormatter<T>?)Own(typeof(T)) ?? StandardResolver.Instance.GetFormatter<T>();

        private static object? Own(Type type) =>
            type == typeof(Hash32) ? new Hash32Formatter()
            : type == typeof(PublicKey) ? new PublicKeyFormatter()
            : type == typeof(IdentityId) ? new IdentityIdFormatter()
            : null;
    }
}
