using Dkms.Core.Blocks;
using Dkms.Core.Primitives;
using MessagePack;

namespace Dkms.Consensus;

public enum Step : byte
{
    Propose = 0,
    Prevote = 1,
    Precommit = 2,
}

/// <summary>
/// What a validator must remember across a crash to stay safe: its round, step, lock (lines 36-43),
/// valid value, and every vote and proposal it signed at this height, so it re-sends the same
/// message instead of signing a different one.
/// </summary>
[MessagePackObject]
public sealed class PersistedState
{
    public PersistedState(ulong height, int round, Step step, int lockedRound, Block? lockedBlock, int validRound, Block? validBlock,
        IReadOnlyList<Vote> signedVotes, IReadOnlyList<Proposal> signedProposals)
    {
        Height = height;
        Round = round;
        Step = step;
        LockedRound = lockedRound;
        LockedBlock = lockedBlock;
        ValidRound = validRound;
        ValidBlock = validBlock;
        SignedVotes = signedVotes;
        SignedProposals = signedProposals;
    }

    [Key(0)] public ulong Height { get; }
    [Key(1)] public int Round { get; }
    [Key(2)] public Step Step { get; }
    [Key(3)] public int LockedRound { get; }
    [Key(4)] public Block? LockedBlock { get; }
    [Key(5)] public int ValidRound { get; }
    /// <summary>Null with <see cref="ValidRound"/> = <see cref="LockedRound"/> ≥ 0: the valid block is <see cref="LockedBlock"/>
    /// (the engine writes that block once).</summary>
    [Key(6)] public Block? ValidBlock { get; }
    [Key(7)] public IReadOnlyList<Vote> SignedVotes { get; }
    [Key(8)] public IReadOnlyList<Proposal> SignedProposals { get; }
}

/// <summary>Durable consensus state. <see cref="Save"/> returns only once the state is durable: the engine
/// calls it before anything it signed leaves the node.</summary>
public interface IConsensusStore
{
    void Save(PersistedState state);

    PersistedState? Load();
}

/// <summary>A store that outlives the engine using it (share one instance to simulate a restart). Keeps the
/// encoded bytes in the layout a disk store uses (<see cref="PersistedStateLayout"/>), so what is restored went
/// through the same codec.</summary>
public sealed class InMemoryConsensusStore : IConsensusStore
{
    private readonly PersistedStateLayout _layout = new();
    private readonly Dictionary<Hash32, byte[]> _blocks = [];
    private byte[]? _record;

    public int SaveCount { get; private set; }

    /// <summary>Bytes written by all saves so far: each save's record, and each block once.</summary>
    public long BytesWritten { get; private set; }

    /// <summary>Blocks held now (each stored once however many saves refer to it).</summary>
    public int StoredBlocks => _blocks.Count;

    public void Save(PersistedState state)
    {
        var changes = _layout.Plan(state);
        foreach (var (hash, bytes) in changes.NewBlocks)
        {
            _blocks[hash] = bytes;
            BytesWritten += bytes.Length;
        }

        foreach (var hash in changes.DroppedBlocks) _blocks.Remove(hash);
        _record = changes.Record;
        BytesWritten += _record.Length;
        _layout.Written(changes);
        SaveCount++;
    }

    public PersistedState? Load()
    {
        if (_record is null) return null;
        return _layout.TryRestore(_record, h => _blocks.GetValueOrDefault(h), out var state, out var why)
            ? state
            : throw new InvalidOperationException($"the stored consensus state does not restore: {why}");
    }
}
