using Dkms.Core.Blocks;
using Dkms.Core.Encoding;
using Dkms.Core.Primitives;
using MessagePack;

namespace Dkms.Consensus;

/// <summary>
/// How a consensus store lays out the crash-safety record: a small record that names its blocks by hash,
/// and each block stored once, in the write that first refers to it, and deleted in the write that stops
/// referring to it. The engine saves its state about a dozen times per height (every vote and proposal it
/// signs, every lock), and a record holding the locked block and the proposal re-encoded both into every
/// synced write: megabytes per save with thousands of transactions per block.
/// </summary>
/// <remarks>
/// One instance per store, used by its single writer (the consensus loop). A block's hash commits to its
/// transactions through the header's transaction root, and the engine only locks on, keeps as valid or
/// proposes blocks that passed valid(v), so one stored copy per hash is the block.
/// </remarks>
public sealed class PersistedStateLayout
{
    private readonly HashSet<Hash32> _stored = [];

    /// <summary>What one save writes, atomically: the record, the blocks not stored yet, and the deletions of
    /// stored blocks the record no longer refers to.</summary>
    public sealed record Changes(byte[] Record, IReadOnlyList<KeyValuePair<Hash32, byte[]>> NewBlocks, IReadOnlyList<Hash32> DroppedBlocks);

    /// <summary>The writes that make <paramref name="state"/> the stored one. Call <see cref="Written"/> once they are durable.</summary>
    public Changes Plan(PersistedState state)
    {
        var referenced = new Dictionary<Hash32, Block>();
        void Refer(Block? block)
        {
            if (block is not null) referenced.TryAdd(block.Hash, block);
        }

        Refer(state.LockedBlock);
        Refer(state.ValidBlock);
        foreach (var p in state.SignedProposals) Refer(p.Block);

        var fresh = referenced.Where(b => !_stored.Contains(b.Key))
            .Select(b => KeyValuePair.Create(b.Key, Codec.Encode(b.Value))).ToArray();
        var dropped = _stored.Where(h => !referenced.ContainsKey(h)).ToArray();
        return new Changes(Codec.Encode(PersistedRecord.Of(state)), fresh, dropped);
    }

    /// <summary>The store wrote <paramref name="changes"/> durably.</summary>
    public void Written(Changes changes)
    {
        foreach (var b in changes.NewBlocks) _stored.Add(b.Key);
        foreach (var h in changes.DroppedBlocks) _stored.Remove(h);
    }

    /// <summary>Rebuilds the state from a stored record and its blocks; false with the reason when the record does
    /// not decode or a block it names is missing or damaged (the caller must not sign anything without it).</summary>
    public bool TryRestore(byte[] record, Func<Hash32, byte[]?> readBlock, out PersistedState? state, out string why)
    {
        state = null;
        if (!Codec.TryDecode<PersistedRecord>(record, out var r, out why)) return false;

        var blocks = new Dictionary<Hash32, Block>();
        Block? Resolve(Hash32 hash, ref string missing)
        {
            if (blocks.TryGetValue(hash, out var known)) return known;
            var bytes = readBlock(hash);
            if (bytes is null || !Codec.TryDecode<Block>(bytes, out var block, out _) || block!.Hash != hash)
            {
                missing = $"block {hash} named by the record is missing or damaged";
                return null;
            }

            blocks[hash] = block;
            return block;
        }

        var problem = "";
        var locked = r!.LockedBlock is { } l ? Resolve(l, ref problem) : null;
        var valid = r.ValidBlock is { } v ? Resolve(v, ref problem) : null;
        var proposals = r.SignedProposals
            .Select(p => Resolve(p.BlockHash, ref problem) is { } b ? new Proposal(p.Height, p.Round, p.ValidRound, b, p.Proposer, p.Signature) : null)
            .ToArray();
        if (problem.Length > 0)
        {
            why = problem;
            return false;
        }

        foreach (var h in blocks.Keys) _stored.Add(h);
        state = new PersistedState(r.Height, r.Round, r.Step, r.LockedRound, locked, r.ValidRound, valid, r.SignedVotes, proposals!);
        return true;
    }
}

/// <summary><see cref="PersistedState"/> with its blocks replaced by their hashes (see <see cref="PersistedStateLayout"/>).</summary>
[MessagePackObject]
public sealed class PersistedRecord
{
    public PersistedRecord(ulong height, int round, Step step, int lockedRound, Hash32? lockedBlock, int validRound, Hash32? validBlock,
        IReadOnlyList<Vote> signedVotes, IReadOnlyList<SignedProposalRecord> signedProposals)
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
    [Key(4)] public Hash32? LockedBlock { get; }
    [Key(5)] public int ValidRound { get; }
    [Key(6)] public Hash32? ValidBlock { get; }
    [Key(7)] public IReadOnlyList<Vote> SignedVotes { get; }
    [Key(8)] public IReadOnlyList<SignedProposalRecord> SignedProposals { get; }

    public static PersistedRecord Of(PersistedState s) => new(s.Height, s.Round, s.Step, s.LockedRound, s.LockedBlock?.Hash, s.ValidRound,
        s.ValidBlock?.Hash, s.SignedVotes,
        s.SignedProposals.Select(p => new SignedProposalRecord(p.Height, p.Round, p.ValidRound, p.Block.Hash, p.Proposer, p.Signature)).ToArray());
}

/// <summary>A <see cref="Proposal"/> this validator signed, with its block named by hash.</summary>
[MessagePackObject]
public sealed class SignedProposalRecord
{
    public SignedProposalRecord(ulong height, int round, int validRound, Hash32 blockHash, PublicKey proposer, byte[] signature)
    {
        Height = height;
        Round = round;
        ValidRound = validRound;
        BlockHash = blockHash;
        Proposer = proposer;
        Signature = signature;
    }

    [Key(0)] public ulong Height { get; }
    [Key(1)] public int Round { get; }
    [Key(2)] public int ValidRound { get; }
    [Key(3)] public Hash32 BlockHash { get; }
    [Key(4)] public PublicKey Proposer { get; }
    [Key(5)] public byte[] Signature { get; }
}
