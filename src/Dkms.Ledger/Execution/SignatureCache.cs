using System.Collections.Concurrent;
using Dkms.Core.Primitives;

namespace Dkms.Ledger.Execution;

/// <summary>
/// Envelope hashes (<see cref="Dkms.Core.Transactions.Transaction.EnvelopeHash"/>) of transactions whose every
/// signature has been verified. The envelope hash covers the body and every signature, so a hit means these
/// exact signatures were checked — never the transaction identifier, which every signed variant of a body
/// shares (a variant carrying a forged signature must not ride on another variant's check); the mempool fills it on
/// admission and block execution reads it, so a signature is verified once per node.
/// Bounded by keeping two generations: when the young one fills, the old one is dropped. The young
/// generation's size is counted here: <see cref="ConcurrentDictionary{TKey,TValue}.Count"/> takes every
/// lock of the dictionary, and the admission threads that fill the cache would queue on it.
/// </summary>
public sealed class SignatureCache(int capacity = 400_000)
{
    private readonly Lock _rotateLock = new();
    private ConcurrentDictionary<Hash32, byte> _young = new();
    private ConcurrentDictionary<Hash32, byte> _old = new();

    private long _verifications;
    private int _youngCount;

    public int Capacity { get; } = capacity;

    /// <summary>Transactions whose signatures were actually verified (cache misses); for metrics and tests.</summary>
    public long Verifications => Interlocked.Read(ref _verifications);

    internal void CountVerification() => Interlocked.Increment(ref _verifications);

    public bool Contains(Hash32 envelopeHash) => _young.ContainsKey(envelopeHash) || _old.ContainsKey(envelopeHash);

    public void Add(Hash32 envelopeHash)
    {
        if (!_young.TryAdd(envelopeHash, 0)) return;
        if (Interlocked.Increment(ref _youngCount) < Capacity / 2) return;
        lock (_rotateLock)
        {
            if (Volatile.Read(ref _youngCount) < Capacity / 2) return;
            _old = _young;
            _young = new ConcurrentDictionary<Hash32, byte>();
            Volatile.Write(ref _youngCount, 0);
        }
    }
}
