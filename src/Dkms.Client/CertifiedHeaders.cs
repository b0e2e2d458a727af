using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Dkms.Core.Blocks;
using Dkms.Core.Primitives;

namespace Dkms.Client;

/// <summary>
/// Block headers whose commit certificate this client has already verified, each with the validator set that certified
/// it: a later answer under the same header (any read at that height) needs only its Merkle proof checked, not the
/// signatures again. Keyed by the header's hash and the very set object (a set this client trusts, never one an answer
/// names), so a header certified under one set is never taken as certified under another. Thread-safe and bounded: when
/// full it starts over (a few hundred heights are far more than a reader moves through between two answers).
/// </summary>
public sealed class CertifiedHeaders(int capacity = 1024)
{
    private readonly ConcurrentDictionary<Key, byte> _certified = new();

    public int Count => _certified.Count;

    public bool Contains(Hash32 headerHash, ValidatorSet set) => _certified.ContainsKey(new Key(headerHash, set));

    public void Add(Hash32 headerHash, ValidatorSet set)
    {
        if (_certified.Count >= capacity) _certified.Clear();
        _certified.TryAdd(new Key(headerHash, set), 0);
    }

    private readonly record struct Key(Hash32 HeaderHash, ValidatorSet Set)
    {
        public bool Equals(Key other) => HeaderHash == other.HeaderHash && ReferenceEquals(Set, other.Set);

        public override int GetHashCode() => HashCode.Combine(HeaderHash, RuntimeHelpers.GetHashCode(Set));
    }
}
