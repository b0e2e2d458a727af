namespace Dkms.Adversary.Fuzzing;

/// <summary>What <see cref="Mutator"/> did to a message.</summary>
public enum Mutation : byte
{
    /// <summary>An array element or map entry removed (a field missing).</summary>
    RemoveField,
    /// <summary>A value replaced by nil (a required field absent).</summary>
    Nil,
    /// <summary>A value replaced by one of another MessagePack type.</summary>
    TypeSwap,
    /// <summary>A byte string or text made shorter or longer (a hash, key or signature of the wrong size).</summary>
    Length,
    /// <summary>An integer changed a little: ±1, zero, negative, the type's limits (heights, rounds, kinds).</summary>
    Number,
    /// <summary>An integer moved far ahead (a height or round far in the future).</summary>
    FarFuture,
    /// <summary>A list grown to many elements, or a byte string to many bytes.</summary>
    Oversize,
    /// <summary>An extra element appended to an array (a trailing field).</summary>
    ExtraField,
    /// <summary>Two elements of one array swapped (fields or list entries in the wrong order).</summary>
    Reorder,
    /// <summary>An element of an array duplicated in place.</summary>
    DuplicateElement,
    /// <summary>A value replaced by arrays nested deeper than any decoder allows.</summary>
    DeepNesting,
    /// <summary>Random bits of the encoded bytes flipped.</summary>
    BitFlip,
    /// <summary>The encoded bytes cut short.</summary>
    Truncate,
    /// <summary>Random bytes appended after the encoded value.</summary>
    TrailingGarbage,
    /// <summary>Bytes that are not MessagePack at all.</summary>
    RandomBytes,
}
