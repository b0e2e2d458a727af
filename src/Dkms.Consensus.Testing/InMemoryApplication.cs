using System.Buffers.Binary;
using Dkms.Core.Blocks;
using Dkms.Core.Primitives;

namespace Dkms.Consensus.InMemory;

/// <summary>
/// A deterministic application for tests and benchmarks. State root = hash chain over heights and transaction
/// hashes. A transaction starting with <see cref="ValidatorSetPrefix"/> followed by (32-byte key, 8-byte
/// big-endian power) entries replaces the validator set from height H + 2. Transactions matching
/// <see cref="Reject"/> are invalid.
/// </summary>
public sealed class InMemoryApplication : IConsensusApplication
{
    public static ReadOnlySpan<byte> ValidatorSetPrefix => "VALSET\0"u8;

    private readonly List<(Hash32 Hash, byte[] Tx)> _pending = new();
    private readonly HashSet<Hash32> _pendingHashes = new();
    private readonly HashSet<Hash32> _committedTxs = new();
    private readonly List<(Block Block, CommitCertificate Certificate, Hash32 StateRoot)> _chain = new();
    private readonly SortedDictionary<ulong, ValidatorSet> _sets = new();
    private Hash32 _stateRoot;

    public InMemoryApplication(ValidatorSet genesis) => _sets[1] = genesis;

    /// <summary>Transactions this predicate accepts are invalid (executing a block containing one fails).</summary>
    public Func<byte[], bool> Reject { get; set; } = _ => false;

    /// <summary>Called with the number of transactions each time a block is executed: a test advances its fake clock in
    /// it to model a slow (or CPU-starved) machine, on which execution takes time the consensus timeouts see.</summary>
    public Action<int>? ExecutionCost { get; set; }

    public ChainTip Tip => _chain.Count == 0
        ? new ChainTip(0, Hash32.Zero, 0)
        : new ChainTip((ulong)_chain.Count, _chain[^1].Block.Hash, _chain[^1].Block.Header.TimestampMs);

    public Hash32 StateRoot => _stateRoot;

    public IReadOnlyList<Block> Blocks => _chain.Select(c => c.Block).ToArray();

    public bool HasPendingTransactions => _pending.Count > 0;

    public int PendingCount => _pending.Count;

    /// <summary>Adds transactions to the mempool (ignores ones already pending or committed).</summary>
    public void AddTransactions(IEnumerable<byte[]> txs)
    {
        foreach (var tx in txs)
        {
            var h = Hash32.Sha256(tx);
            if (!_committedTxs.Contains(h) && _pendingHashes.Add(h)) _pending.Add((h, tx));
        }
    }

    public IReadOnlyList<byte[]> SelectTransactions(ulong height, long timestampMs, int maxCount, int maxBytes)
    {
        var selected = new List<byte[]>();
        var bytes = 0;
        foreach (var (_, tx) in _pending)
        {
            if (selected.Count >= maxCount || bytes + tx.Length > maxBytes) break;
            if (Reject(tx) || !IsWellFormed(tx)) continue; // an honest proposer leaves invalid transactions out
            selected.Add(tx);
            bytes += tx.Length;
        }

        return selected;
    }

    public ExecutionResult Execute(ulong height, long timestampMs, IReadOnlyList<byte[]> transactions)
    {
        if (height != Tip.Height + 1) return ExecutionResult.Rejected($"height {height} does not follow {Tip.Height}");
        ExecutionCost?.Invoke(transactions.Count);
        var seen = new HashSet<Hash32>();
        foreach (var tx in transactions)
        {
            var h = Hash32.Sha256(tx);
            if (Reject(tx)) return ExecutionResult.Rejected("invalid transaction " + h);
            if (!IsWellFormed(tx)) return ExecutionResult.Rejected("malformed validator-set transaction " + h);
            if (_committedTxs.Contains(h) || !seen.Add(h)) return ExecutionResult.Rejected("duplicate transaction " + h);
        }

        return ExecutionResult.Ok(NextRoot(height, transactions));
    }

    public void Commit(Block block, CommitCertificate certificate)
    {
        if (block.Height != Tip.Height + 1) throw new InvalidOperationException($"commit of height {block.Height} after {Tip.Height}");
        _stateRoot = NextRoot(block.Height, block.Transactions);
        _chain.Add((block, certificate, _stateRoot));
        foreach (var tx in block.Transactions)
        {
            var h = Hash32.Sha256(tx);
            _committedTxs.Add(h);
            _pendingHashes.Remove(h);
            if (tx.AsSpan().StartsWith(ValidatorSetPrefix)) _sets[block.Height + ValidatorSetChange.Delay] = ParseValidatorSet(tx);
        }

        _pending.RemoveAll(p => !_pendingHashes.Contains(p.Hash));
    }

    public bool TryGetCommitted(ulong height, out Block block, out CommitCertificate certificate)
    {
        if (height == 0 || height > (ulong)_chain.Count)
        {
            block = null!;
            certificate = null!;
            return false;
        }

        (block, certificate, _) = _chain[(int)height - 1];
        return true;
    }

    public ValidatorSet ValidatorSetAt(ulong height)
    {
        if (height > Tip.Height + ValidatorSetChange.Delay) throw new ArgumentOutOfRangeException(nameof(height), "not yet known");
        return _sets.Where(kv => kv.Key <= height).Last().Value;
    }

    public static byte[] ValidatorSetTransaction(IEnumerable<Validator> validators)
    {
        var list = validators.ToArray();
        var tx = new byte[ValidatorSetPrefix.Length + list.Length * 40];
        ValidatorSetPrefix.CopyTo(tx);
        for (var i = 0; i < list.Length; i++)
        {
            var at = ValidatorSetPrefix.Length + i * 40;
            list[i].PublicKey.CopyTo(tx.AsSpan(at));
            BinaryPrimitives.WriteInt64BigEndian(tx.AsSpan(at + 32), list[i].Power);
        }

        return tx;
    }

    private static bool IsWellFormed(byte[] tx)
    {
        if (!tx.AsSpan().StartsWith(ValidatorSetPrefix)) return true;
        try
        {
            ParseValidatorSet(tx);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static ValidatorSet ParseValidatorSet(byte[] tx)
    {
        var body = tx.AsSpan(ValidatorSetPrefix.Length);
        if (body.Length == 0 || body.Length % 40 != 0) throw new ArgumentException("validator-set transaction length");
        var list = new List<Validator>();
        for (var at = 0; at < body.Length; at += 40)
        {
            list.Add(new Validator(new PublicKey(body.Slice(at, 32)), BinaryPrimitives.ReadInt64BigEndian(body[(at + 32)..])));
        }

        return new ValidatorSet(list);
    }

    private Hash32 NextRoot(ulong height, IReadOnlyList<byte[]> transactions)
    {
        var buf = new byte[Hash32.Size * 2 + 8];
        var root = _stateRoot;
        BinaryPrimitives.WriteUInt64BigEndian(buf.AsSpan(Hash32.Size * 2), height);
        Hash32.Sha256(ReadOnlySpan<byte>.Empty).CopyTo(buf.AsSpan(Hash32.Size));
        root.CopyTo(buf);
        root = Hash32.Sha256(buf);
        foreach (var tx in transactions)
        {
            root.CopyTo(buf);
            Hash32.Sha256(tx).CopyTo(buf.AsSpan(Hash32.Size));
            root = Hash32.Sha256(buf);
        }

        return root;
    }
}
