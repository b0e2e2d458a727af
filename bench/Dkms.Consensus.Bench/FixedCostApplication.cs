using System.Buffers.Binary;
using Dkms.Core.Blocks;
using Dkms.Core.Primitives;

namespace Dkms.Consensus.Bench;

/// <summary>
/// An application whose work does not depend on the transactions, to isolate the engine's cost: the mempool is a
/// queue of batches handed over whole, Execute returns SHA-256(previous root ‖ height ‖ timestamp ‖ count) without
/// looking at the transactions (they are "pre-verified" and their execution is priced by the ledger benchmarks), and
/// Commit appends the block and drops the batch it came from. Not a ledger: it does not detect duplicates.
/// </summary>
public sealed class FixedCostApplication(ValidatorSet validators) : IConsensusApplication
{
    private readonly Queue<byte[][]> _pending = new();
    private readonly List<(Block Block, CommitCertificate Certificate)> _chain = new();
    private Hash32 _stateRoot;

    public ChainTip Tip => _chain.Count == 0
        ? new ChainTip(0, Hash32.Zero, 0)
        : new ChainTip((ulong)_chain.Count, _chain[^1].Block.Hash, _chain[^1].Block.Header.TimestampMs);

    public bool HasPendingTransactions => _pending.Count > 0;

    public void AddTransactions(byte[][] batch) => _pending.Enqueue(batch);

    public IReadOnlyList<byte[]> SelectTransactions(ulong height, long timestampMs, int maxCount, int maxBytes) =>
        _pending.TryPeek(out var batch) && batch.Length <= maxCount ? batch : Array.Empty<byte[]>();

    public ExecutionResult Execute(ulong height, long timestampMs, IReadOnlyList<byte[]> transactions) =>
        height != Tip.Height + 1
            ? ExecutionResult.Rejected($"height {height} does not follow {Tip.Height}")
            : ExecutionResult.Ok(NextRoot(height, timestampMs, transactions.Count));

    public void Commit(Block block, CommitCertificate certificate)
    {
        if (block.Height != Tip.Height + 1) throw new InvalidOperationException($"commit of height {block.Height} after {Tip.Height}");
        _stateRoot = NextRoot(block.Height, block.Header.TimestampMs, block.Transactions.Count);
        _chain.Add((block, certificate));
        if (_pending.TryPeek(out var batch) && batch.Length == block.Transactions.Count) _pending.Dequeue();
    }

    public bool TryGetCommitted(ulong height, out Block block, out CommitCertificate certificate)
    {
        if (height == 0 || height > (ulong)_chain.Count)
        {
            block = null!;
            certificate = null!;
            return false;
        }

        (block, certificate) = _chain[(int)height - 1];
        return true;
    }

    public ValidatorSet ValidatorSetAt(ulong height) => validators;

    private Hash32 NextRoot(ulong height, long timestampMs, int count)
    {
        Span<byte> buf = stackalloc byte[Hash32.Size + 20];
        _stateRoot.CopyTo(buf);
        BinaryPrimitives.WriteUInt64BigEndian(buf[Hash32.Size..], height);
        BinaryPrimitives.WriteInt64BigEndian(buf[(Hash32.Size + 8)..], timestampMs);
        BinaryPrimitives.WriteInt32BigEndian(buf[(Hash32.Size + 16)..], count);
        return Hash32.Sha256(buf);
    }
}
