using System.Buffers;
using MessagePack;

namespace Dkms.Adversary.Fuzzing;

public enum MpKind : byte
{
    Nil,
    Bool,
    Int,
    UInt,
    Float,
    Str,
    Bin,
    Array,
    Map,
}

/// <summary>
/// A MessagePack value as a mutable tree, independent of the product's types: the fuzzer parses what it saw on
/// the wire, changes the shape (fields, types, lengths, numbers) and writes it back. Maps keep their entries as
/// alternating key, value items.
/// </summary>
public sealed class MpValue
{
    /// <summary>Deepest nesting parsed; the product's messages nest far less.</summary>
    public const int MaxParseDepth = 64;

    private MpValue(MpKind kind) => Kind = kind;

    public MpKind Kind { get; private set; }

    public bool Bool { get; private set; }

    public long Int { get; private set; }

    public ulong UInt { get; private set; }

    public double Float { get; private set; }

    public string Str { get; private set; } = "";

    public byte[] Bin { get; private set; } = [];

    /// <summary>Array elements, or a map's keys and values in turn.</summary>
    public List<MpValue> Items { get; private set; } = [];

    public static MpValue Nil() => new(MpKind.Nil);

    public static MpValue Of(bool b) => new(MpKind.Bool) { Bool = b };

    public static MpValue Of(long i) => i >= 0 ? new(MpKind.UInt) { UInt = (ulong)i } : new(MpKind.Int) { Int = i };

    public static MpValue OfUnsigned(ulong u) => new(MpKind.UInt) { UInt = u };

    public static MpValue Of(double d) => new(MpKind.Float) { Float = d };

    public static MpValue Of(string s) => new(MpKind.Str) { Str = s };

    public static MpValue Of(byte[] b) => new(MpKind.Bin) { Bin = b };

    public static MpValue Array(IEnumerable<MpValue> items) => new(MpKind.Array) { Items = [.. items] };

    public static MpValue Map(IEnumerable<MpValue> keysAndValues) => new(MpKind.Map) { Items = [.. keysAndValues] };

    public bool IsContainer => Kind is MpKind.Array or MpKind.Map;

    /// <summary>Replaces this node's content with <paramref name="other"/>'s (the node keeps its place in the tree).</summary>
    public void Become(MpValue other)
    {
        Kind = other.Kind;
        Bool = other.Bool;
        Int = other.Int;
        UInt = other.UInt;
        Float = other.Float;
        Str = other.Str;
        Bin = other.Bin;
        Items = other.Items;
    }

    public MpValue Clone() => new(Kind)
    {
        Bool = Bool,
        Int = Int,
        UInt = UInt,
        Float = Float,
        Str = Str,
        Bin = Bin,
        Items = [.. Items.Select(i => i.Clone())],
    };

    /// <summary>Every node of the tree, this one first (depth-first), with its parent (null for the root).</summary>
    public IEnumerable<(MpValue Node, MpValue? Parent)> Walk()
    {
        var stack = new Stack<(MpValue, MpValue?)>();
        stack.Push((this, null));
        while (stack.Count > 0)
        {
            var (node, parent) = stack.Pop();
            yield return (node, parent);
            for (var i = node.Items.Count - 1; i >= 0; i--) stack.Push((node.Items[i], node));
        }
    }

    /// <summary>Parses one complete value; false for anything else (an ext type, trailing bytes, too deep).</summary>
    public static bool TryParse(ReadOnlyMemory<byte> bytes, out MpValue value)
    {
        value = Nil();
        try
        {
            var reader = new MessagePackReader(bytes);
            value = Read(ref reader, 0);
            return reader.End;
        }
        catch (Exception e) when (e is MessagePackSerializationException or EndOfStreamException or InvalidOperationException or OverflowException)
        {
            return false;
        }
    }

    public byte[] Encode()
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        var writer = new MessagePackWriter(buffer);
        Write(ref writer);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    private static MpValue Read(ref MessagePackReader reader, int depth)
    {
        if (depth > MaxParseDepth) throw new InvalidOperationException("too deep");
        switch (reader.NextMessagePackType)
        {
            case MessagePackType.Nil:
                reader.ReadNil();
                return Nil();
            case MessagePackType.Boolean:
                return Of(reader.ReadBoolean());
            case MessagePackType.Integer:
                return reader.NextCode is MessagePackCode.UInt64 ? OfUnsigned(reader.ReadUInt64()) : Of(reader.ReadInt64());
            case MessagePackType.Float:
                return Of(reader.ReadDouble());
            case MessagePackType.String:
                return Of(reader.ReadString() ?? "");
            case MessagePackType.Binary:
                return Of(reader.ReadBytes()?.ToArray() ?? []);
            case MessagePackType.Array:
                {
                    var n = reader.ReadArrayHeader();
                    var items = new List<MpValue>(Math.Min(n, 1024));
                    for (var i = 0; i < n; i++) items.Add(Read(ref reader, depth + 1));
                    return new MpValue(MpKind.Array) { Items = items };
                }

            case MessagePackType.Map:
                {
                    var n = reader.ReadMapHeader();
                    var items = new List<MpValue>(Math.Min(2 * n, 1024));
                    for (var i = 0; i < 2 * n; i++) items.Add(Read(ref reader, depth + 1));
                    return new MpValue(MpKind.Map) { Items = items };
                }

            default:
                throw new InvalidOperationException($"unsupported MessagePack type {reader.NextMessagePackType}");
        }
    }

    private void Write(ref MessagePackWriter writer)
    {
        switch (Kind)
        {
            case MpKind.Nil: writer.WriteNil(); break;
            case MpKind.Bool: writer.Write(Bool); break;
            case MpKind.Int: writer.Write(Int); break;
            case MpKind.UInt: writer.Write(UInt); break;
            case MpKind.Float: writer.Write(Float); break;
            case MpKind.Str: writer.Write(Str); break;
            case MpKind.Bin: writer.Write(Bin); break;
            case MpKind.Array:
                writer.WriteArrayHeader(Items.Count);
                foreach (var item in Items) item.Write(ref writer);
                break;
            case MpKind.Map:
                // An odd count (a removed value) still writes: the dangling key is paired with nil.
                writer.WriteMapHeader((Items.Count + 1) / 2);
                foreach (var item in Items) item.Write(ref writer);
                if (Items.Count % 2 == 1) writer.WriteNil();
                break;
        }
    }
}
