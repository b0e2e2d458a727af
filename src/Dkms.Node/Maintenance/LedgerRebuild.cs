using System.Diagnostics;
using Dkms.Core.Blocks;
using Dkms.Core.Encoding;
using Dkms.Core.Genesis;
using Dkms.Core.Primitives;
using Dkms.Core.Transactions;
using Dkms.Ledger;
using Dkms.Storage;

namespace Dkms.Node.Maintenance;

/// <summary>How far a rebuild is: the height replayed, the last height to replay and the pace so far.</summary>
public sealed record RebuildProgress(ulong Height, ulong Last, double HeightsPerSecond);

/// <summary>
/// Rebuilds every derived region of the ledger store (<see cref="StoreLayout.Regions"/>: state tree leaves, history,
/// indexes, height records, validator history) from its source of truth, the blocks and their commit certificates. Each
/// certificate is verified against the validator set in force at its height as the replay computes it (the genesis set
/// first, then every change the replayed blocks commit); each block must extend the one before, carry the transactions
/// its header commits to and execute, every transaction accepted, to the state root its header names. Anything else stops
/// the rebuild: nothing uncertified is written. The node's own records (chain id, consensus record) are copied as they are.
/// </summary>
public static class LedgerRebuild
{
    /// <summary>Replays <paramref name="source"/>'s blocks into the empty <paramref name="target"/>; returns the height reached.
    /// <paramref name="progress"/> is called about once a second and at the end.</summary>
    public static ulong Replay(IKeyValueReader source, IKeyValueStore target, GenesisDocument genesis, Action<RebuildProgress>? progress = null) =>
        Replay(source, target, genesis.ChainId, genesis.ValidatorEntries(), genesis.Ledger, progress);

    /// <summary>As <see cref="Replay(IKeyValueReader, IKeyValueStore, GenesisDocument, Action{RebuildProgress}?)"/>, from the
    /// genesis's parts.</summary>
    public static ulong Replay(IKeyValueReader source, IKeyValueStore target, string chainId, IReadOnlyList<ValidatorEntry> validators,
        LedgerParameters? parameters, Action<RebuildProgress>? progress = null)
    {
        // Commits are not synced one by one: the final synced write makes all of them durable (one log), and a rebuild cut
        // short is started again from scratch.
        var ledger = DkmsLedger.Open(target, new LedgerOptions(chainId) { SyncCommits = false, ProofHistoryHeights = 1 });
        if (ledger.Height != 0 || ledger.ValidatorSetAt(0) is not null) throw new StorageException("the store to rebuild into is not empty");
        ledger.InitializeGenesis(validators, parameters);

        var last = LastBlockHeight(source);
        var clock = Stopwatch.StartNew();
        var reported = TimeSpan.Zero;
        var previous = Hash32.Zero;
        for (var height = 1UL; height <= last; height++)
        {
            previous = ReplayOne(source, ledger, chainId, height, previous);
            if (clock.Elapsed - reported >= TimeSpan.FromSeconds(1))
            {
                reported = clock.Elapsed;
                progress?.Invoke(new RebuildProgress(height, last, height / clock.Elapsed.TotalSeconds));
            }
        }

        var records = new WriteBatch();
        foreach (var (key, value) in source.Scan([StoreLayout.NodeRecords])) records.Put(key, value);
        target.Write(records, sync: true);
        progress?.Invoke(new RebuildProgress(last, last, last / Math.Max(clock.Elapsed.TotalSeconds, 1e-3)));
        return last;
    }

    /// <summary>The highest height with a stored block (0: none).</summary>
    public static ulong LastBlockHeight(IKeyValueReader source)
    {
        foreach (var (key, _) in source.ScanReverse([StoreLayout.Blocks]))
        {
            if (key.Length == 9) return System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(key.AsSpan(1));
        }

        return 0;
    }

    private static Hash32 ReplayOne(IKeyValueReader source, DkmsLedger ledger, string chainId, ulong height, Hash32 previous)
    {
        var blockBytes = source.Get(StoreLayout.HeightKey(StoreLayout.Blocks, height));
        var certificateBytes = source.Get(StoreLayout.HeightKey(StoreLayout.Certificates, height));
        if (blockBytes is null || certificateBytes is null)
        {
            throw Damaged(height, $"its {(blockBytes is null ? "block" : "certificate")} is missing");
        }

        if (!Codec.TryDecode<Block>(blockBytes, out var block, out var why) || block is null) throw Damaged(height, $"its block does not decode ({why})");
        if (!Codec.TryDecode<CommitCertificate>(certificateBytes, out var certificate, out why) || certificate is null)
        {
            throw Damaged(height, $"its certificate does not decode ({why})");
        }

        var header = block.Header;
        if (header.Height != height || header.ChainId != chainId) throw Damaged(height, $"the block is of height {header.Height} of chain '{header.ChainId}'");
        if (header.PreviousHash != previous) throw Damaged(height, "the block does not extend the block before it");
        if (!block.TransactionRootMatches()) throw Damaged(height, "the block's transactions are not the ones its header commits to");
        var validators = new ValidatorSet((ledger.ValidatorSetAt(height) ?? []).Select(v => new Validator(v.NodeKey, v.Power)));
        if (certificate.Height != height) throw Damaged(height, $"its certificate is of height {certificate.Height}");
        if (!certificate.Verify(validators, chainId, block.Hash, out var error))
        {
            throw Damaged(height, $"its commit certificate does not verify against the validator set of that height ({error})");
        }

        var txs = new List<Transaction>(block.Transactions.Count);
        foreach (var bytes in block.Transactions)
        {
            if (!TransactionCodec.TryDecode(bytes, out var tx, out var txError)) throw Damaged(height, $"a transaction does not decode ({txError})");
            txs.Add(tx!);
        }

        var executed = ledger.Execute(height, (ulong)header.TimestampMs, txs);
        if (!executed.AllAccepted || executed.StateRoot != header.StateRoot)
        {
            throw Damaged(height, executed.AllAccepted ? "the block executes to another state root than its header's" : "a transaction of the block is refused");
        }

        ledger.Commit(executed, new WriteBatch()
            .Put(StoreLayout.HeightKey(StoreLayout.Blocks, height), blockBytes)
            .Put(StoreLayout.HeightKey(StoreLayout.Certificates, height), certificateBytes));
        return block.Hash;
    }

    private static StorageCorruptionException Damaged(ulong height, string what) =>
        new($"cannot rebuild past height {height - 1}: at height {height} {what}");
}
