namespace Dkms.Adversary.Fuzzing;

/// <summary>
/// Seeded structure-aware mutations of MessagePack messages. The same seed and the same inputs give the same
/// outputs. Sizes stay under <see cref="MaxOversizeBytes"/> so that a fuzz run spends its time on shapes, not on
/// moving bytes.
/// </summary>
public sealed class Mutator(Random random)
{
    /// <summary>Largest list or byte string an <see cref="Mutation.Oversize"/> builds (well under the transport's limit).</summary>
    public const int MaxOversizeBytes = 128 * 1024;

    // Weighted: the cheap shape changes most often, the big messages rarely (each costs bytes on the wire).
    private static readonly Mutation[] TreeMutations =
    [
        .. Repeat(Mutation.RemoveField, 4), .. Repeat(Mutation.Nil, 6), .. Repeat(Mutation.TypeSwap, 4), .. Repeat(Mutation.Length, 4),
        .. Repeat(Mutation.Number, 4), .. Repeat(Mutation.FarFuture, 4), Mutation.Oversize, .. Repeat(Mutation.ExtraField, 2),
        .. Repeat(Mutation.Reorder, 3), .. Repeat(Mutation.DuplicateElement, 2), Mutation.DeepNesting,
    ];

    private static readonly Mutation[] ByteMutations = [Mutation.BitFlip, Mutation.Truncate, Mutation.TrailingGarbage, Mutation.RandomBytes];

    /// <summary>Every kind this mutator produces.</summary>
    public static IReadOnlyList<Mutation> All { get; } = [.. TreeMutations.Distinct(), .. ByteMutations];

    /// <summary>One mutation of <paramref name="encoded"/>: mostly of its structure, sometimes of its bytes.</summary>
    public (byte[] Bytes, Mutation Kind) Mutate(byte[] encoded)
    {
        if (random.Next(10) == 0 || !MpValue.TryParse(encoded, out var tree)) return MutateBytes(encoded);
        var kind = TreeMutations[random.Next(TreeMutations.Length)];
        return (MutateTree(tree, kind), kind);
    }

    /// <summary>Applies <paramref name="kind"/> to a random node of <paramref name="tree"/> (changed in place) and encodes it.</summary>
    public byte[] MutateTree(MpValue tree, Mutation kind)
    {
        var nodes = tree.Walk().ToList();
        switch (kind)
        {
            case Mutation.RemoveField:
            case Mutation.ExtraField:
            case Mutation.Reorder:
            case Mutation.DuplicateElement:
                {
                    var containers = nodes.Where(n => n.Node.IsContainer && (kind == Mutation.ExtraField || n.Node.Items.Count > 0)).ToList();
                    if (containers.Count == 0) goto default;
                    ChangeList(containers[random.Next(containers.Count)].Node, kind);
                    break;
                }

            case Mutation.Number:
            case Mutation.FarFuture:
                {
                    var numbers = nodes.Where(n => n.Node.Kind is MpKind.Int or MpKind.UInt).ToList();
                    if (numbers.Count == 0) goto default;
                    var node = numbers[random.Next(numbers.Count)].Node;
                    var changed = kind == Mutation.Number ? NearbyNumber(node) : FarNumber(node);
                    if (changed.Kind == node.Kind && changed.Int == node.Int && changed.UInt == node.UInt) changed = MpValue.Of(node.Kind == MpKind.Int ? node.Int - 1 : -1L);
                    node.Become(changed);
                    break;
                }

            case Mutation.Length:
                {
                    var sized = nodes.Where(n => n.Node.Kind is MpKind.Bin or MpKind.Str).ToList();
                    if (sized.Count == 0) goto default;
                    var node = sized[random.Next(sized.Count)].Node;
                    node.Become(node.Kind == MpKind.Bin ? MpValue.Of(Resize(node.Bin)) : MpValue.Of(ResizeText(node.Str)));
                    break;
                }

            case Mutation.Oversize:
                {
                    var node = nodes[random.Next(nodes.Count)].Node;
                    if (node.Kind == MpKind.Array && node.Items.Count > 0) Grow(node);
                    else node.Become(MpValue.Of(RandomBytes(random.Next(16 * 1024, MaxOversizeBytes))));
                    break;
                }

            case Mutation.DeepNesting:
                nodes[random.Next(nodes.Count)].Node.Become(Nested(random.Next(17, 40)));
                break;

            case Mutation.TypeSwap:
                {
                    var node = nodes[random.Next(nodes.Count)].Node;
                    node.Become(OtherType(node.Kind));
                    break;
                }

            case Mutation.Nil:
            default:
                {
                    // The root too: a message that is just nil.
                    var values = nodes.Where(n => n.Node.Kind != MpKind.Nil).ToList();
                    if (values.Count > 0) values[random.Next(values.Count)].Node.Become(MpValue.Nil());
                    else tree.Become(MpValue.Of(0L));
                    break;
                }
        }

        return tree.Encode();
    }

    public (byte[] Bytes, Mutation Kind) MutateBytes(byte[] encoded)
    {
        var kind = encoded.Length == 0 ? Mutation.RandomBytes : ByteMutations[random.Next(ByteMutations.Length)];
        switch (kind)
        {
            case Mutation.BitFlip:
                {
                    var copy = (byte[])encoded.Clone();
                    var flips = 1 + random.Next(4);
                    for (var i = 0; i < flips; i++) copy[random.Next(copy.Length)] ^= (byte)(1 << random.Next(8));
                    return (copy, kind);
                }

            case Mutation.Truncate:
                return (encoded[..random.Next(encoded.Length)], kind);
            case Mutation.TrailingGarbage:
                return ([.. encoded, .. RandomBytes(1 + random.Next(64))], kind);
            default:
                return (RandomBytes(random.Next(0, 512)), Mutation.RandomBytes);
        }
    }

    private void ChangeList(MpValue list, Mutation kind)
    {
        var items = list.Items;
        var step = list.Kind == MpKind.Map ? 2 : 1; // map entries move as key and value together
        var entries = items.Count / step;
        switch (kind)
        {
            case Mutation.RemoveField when entries > 0:
                items.RemoveRange(random.Next(entries) * step, step);
                break;
            case Mutation.ExtraField:
                for (var i = 0; i < step; i++) items.Add(RandomScalar());
                break;
            case Mutation.Reorder when entries > 1:
                {
                    // Two entries that differ, if there are any (swapping two nils changes nothing).
                    int a = 0, b = 0;
                    for (var attempt = 0; attempt < 8 && (a == b || items[a].Encode().AsSpan().SequenceEqual(items[b].Encode())); attempt++)
                    {
                        a = random.Next(entries) * step;
                        b = random.Next(entries) * step;
                    }

                    for (var i = 0; i < step; i++) (items[a + i], items[b + i]) = (items[b + i], items[a + i]);
                    break;
                }

            case Mutation.DuplicateElement when entries > 0:
                {
                    var at = random.Next(entries) * step;
                    items.InsertRange(at, items.GetRange(at, step).Select(v => v.Clone()));
                    break;
                }

            default:
                items.Add(MpValue.Nil());
                break;
        }
    }

    private void Grow(MpValue list)
    {
        var template = list.Items[random.Next(list.Items.Count)];
        var size = Math.Max(1, template.Encode().Length);
        var count = Math.Clamp(MaxOversizeBytes / size, 2, 100_000);
        count = random.Next(count / 2, count + 1);
        for (var i = 0; i < count; i++) list.Items.Add(template); // shared node: encoded repeatedly, cheap
    }

    private MpValue NearbyNumber(MpValue node)
    {
        var value = node.Kind == MpKind.UInt ? (long)Math.Min(node.UInt, long.MaxValue) : node.Int;
        return random.Next(9) switch
        {
            0 => MpValue.Of(value + 1),
            1 => MpValue.Of(value - 1),
            2 => MpValue.Of(0L),
            3 => MpValue.Of(-1L),
            4 => MpValue.Of(int.MaxValue),
            5 => MpValue.Of(int.MinValue),
            6 => MpValue.OfUnsigned(ulong.MaxValue),
            7 => MpValue.Of(long.MinValue),
            _ => MpValue.Of(value + random.Next(2, 10)),
        };
    }

    private MpValue FarNumber(MpValue node)
    {
        var value = node.Kind == MpKind.UInt ? (long)Math.Min(node.UInt, long.MaxValue / 2) : Math.Max(node.Int, 0);
        return random.Next(4) switch
        {
            0 => MpValue.Of(value + random.Next(100, 10_000)),
            1 => MpValue.Of(value + random.Next(1_000_000, int.MaxValue)),
            2 => MpValue.OfUnsigned(ulong.MaxValue - (ulong)random.Next(0, 3)),
            _ => MpValue.Of((long)int.MaxValue - random.Next(0, 3)),
        };
    }

    /// <summary>Always another length: shorter when there is something to cut, else longer.</summary>
    private byte[] Resize(byte[] bytes) => random.Next(3) switch
    {
        0 when bytes.Length > 0 => bytes[..random.Next(bytes.Length)],
        1 when bytes.Length > 0 => bytes[..(bytes.Length - 1)],
        _ => [.. bytes, .. RandomBytes(1 + random.Next(random.Next(2) == 0 ? 8 : 200))],
    };

    private string ResizeText(string s) => random.Next(2) switch
    {
        0 when s.Length > 0 => s[..random.Next(s.Length)],
        _ => s + new string((char)('a' + random.Next(26)), 1 + random.Next(300)),
    };

    private MpValue OtherType(MpKind kind)
    {
        while (true)
        {
            var v = random.Next(7) switch
            {
                0 => MpValue.Of(random.Next(2) == 0),
                1 => MpValue.Of((long)random.Next(-1000, 1000)),
                2 => MpValue.Of(random.NextDouble()),
                3 => MpValue.Of("x"),
                4 => MpValue.Of(RandomBytes(random.Next(0, 40))),
                5 => MpValue.Array([RandomScalar(), RandomScalar()]),
                _ => MpValue.Map([MpValue.Of(0L), RandomScalar()]),
            };
            if (v.Kind != kind && !(kind is MpKind.Int or MpKind.UInt && v.Kind is MpKind.Int or MpKind.UInt)) return v;
        }
    }

    private MpValue RandomScalar() => random.Next(4) switch
    {
        0 => MpValue.Nil(),
        1 => MpValue.Of((long)random.Next()),
        2 => MpValue.Of(RandomBytes(random.Next(0, 64))),
        _ => MpValue.Of("extra"),
    };

    private static MpValue Nested(int depth)
    {
        var v = MpValue.Nil();
        for (var i = 0; i < depth; i++) v = MpValue.Array([v]);
        return v;
    }

    private static IEnumerable<Mutation> Repeat(Mutation m, int times) => Enumerable.Repeat(m, times);

    private byte[] RandomBytes(int n)
    {
        var b = new byte[n];
        random.NextBytes(b);
        return b;
    }
}
