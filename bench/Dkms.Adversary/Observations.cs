using Dkms.Consensus;
using Dkms.Core.Blocks;
using Dkms.Core.Encoding;
using Dkms.Core.Primitives;
using Dkms.Network;

namespace Dkms.Adversary;

/// <summary>
/// What the adversary has seen of the honest validators: recent messages (raw and decoded), the heights and rounds
/// they are at, their precommits (enough of them, with the adversary's own, make a commit certificate) and gossiped
/// transactions. Everything is kept in small rings, so the adversary's memory stays flat however long it runs.
/// Single-threaded: the campaign feeds and reads it.
/// </summary>
public sealed class Observations
{
    private const int RawKept = 512;
    private const int ProposalsKept = 32;
    private const int VotesKept = 256;
    private const int ResponsesKept = 16;
    private const int GossipKept = 64;
    private const int TransactionsKept = 256;
    private const int HeightsOfPrecommitsKept = 8;

    private readonly Dictionary<(ulong Height, int Round, Hash32 Block), List<Vote>> _precommits = new();

    public Ring<ReceivedMessage> RawConsensus { get; } = new(RawKept);

    public Ring<Proposal> Proposals { get; } = new(ProposalsKept);

    public Ring<Vote> Votes { get; } = new(VotesKept);

    public Ring<(Block Block, CommitCertificate Certificate)> Responses { get; } = new(ResponsesKept);

    public Ring<byte[]> Gossip { get; } = new(GossipKept);

    public Ring<byte[]> Transactions { get; } = new(TransactionsKept);

    /// <summary>The highest height an honest validator was seen working on (0 before anything arrived).</summary>
    public ulong Height { get; private set; }

    /// <summary>The highest round seen at <see cref="Height"/>.</summary>
    public int Round { get; private set; }

    /// <summary>The previous block hash the honest proposals of <see cref="Height"/> build on (zero until one is seen).</summary>
    public Hash32 PreviousHash { get; private set; }

    /// <summary>The parent's timestamp as far as known (a proposal of this height is later than it).</summary>
    public long LatestTimestampMs { get; private set; }

    public long Undecodable { get; private set; }

    /// <summary>Keeps <paramref name="m"/>; returns it decoded (null for gossip and what does not decode).</summary>
    public ConsensusMessage? Add(ReceivedMessage m)
    {
        if (m.Channel == PeerChannel.Mempool)
        {
            AddGossip(m.Bytes);
            return null;
        }

        RawConsensus.Add(m);
        if (!Codec.TryDecode<ConsensusMessage>(m.Bytes, out var msg, out _) || msg is null)
        {
            Undecodable++;
            return null;
        }

        switch (msg.Kind)
        {
            case MessageKind.Proposal when msg.Proposal is { Block.Header: not null } p:
                Proposals.Add(p);
                See(p.Height, p.Round);
                if (p.Height == Height)
                {
                    PreviousHash = p.Block.Header.PreviousHash;
                    LatestTimestampMs = Math.Max(LatestTimestampMs, p.Block.Header.TimestampMs);
                }

                foreach (var tx in p.Block.Transactions ?? []) Transactions.Add(tx);
                break;
            case MessageKind.Vote when msg.Vote is { } v:
                Votes.Add(v);
                See(v.Height, v.Round);
                if (v.Type == VoteType.Precommit && !v.IsNil) AddPrecommit(v);
                break;
            case MessageKind.BlockResponse when msg.Block?.Header is not null && msg.Certificate is not null:
                Responses.Add((msg.Block, msg.Certificate));
                break;
        }

        return msg;
    }

    /// <summary>Precommits seen for one block at one height and round, from distinct validators.</summary>
    public IReadOnlyList<Vote> PrecommitsFor(ulong height, int round, Hash32 block) =>
        _precommits.TryGetValue((height, round, block), out var list) ? list : [];

    /// <summary>Every (height, round, block) with at least one precommit, newest height first.</summary>
    public IEnumerable<(ulong Height, int Round, Hash32 Block)> PrecommittedBlocks() =>
        _precommits.Keys.OrderByDescending(k => k.Height).ThenByDescending(k => k.Round);

    private void See(ulong height, int round)
    {
        if (height > Height && height < Height + 1_000_000)
        {
            Height = height;
            Round = round;
        }
        else if (height == Height && round > Round && round < Round + 1_000)
        {
            Round = round;
        }
    }

    private void AddPrecommit(Vote v)
    {
        var key = (v.Height, v.Round, v.BlockHash);
        if (!_precommits.TryGetValue(key, out var list)) _precommits[key] = list = [];
        if (list.Count < 64 && list.All(o => o.Validator != v.Validator)) list.Add(v);
        if (_precommits.Count > 4 * HeightsOfPrecommitsKept)
        {
            var oldest = _precommits.Keys.Min(k => k.Height);
            foreach (var k in _precommits.Keys.Where(k => k.Height == oldest).ToList()) _precommits.Remove(k);
        }
    }

    private void AddGossip(byte[] bytes)
    {
        Gossip.Add(bytes);
        if (!Codec.TryDecode<byte[][]>(bytes, out var txs, out _) || txs is null) return;
        foreach (var tx in txs)
        {
            if (tx is not null) Transactions.Add(tx);
        }
    }
}

/// <summary>A fixed-size ring: adding beyond capacity overwrites the oldest item.</summary>
public sealed class Ring<T>(int capacity)
{
    private readonly T[] _items = new T[capacity];
    private int _next;

    public int Count { get; private set; }

    public void Add(T item)
    {
        _items[_next] = item;
        _next = (_next + 1) % _items.Length;
        Count = Math.Min(Count + 1, _items.Length);
    }

    public T Pick(Random random) => _items[random.Next(Count)];

    /// <summary>The most recently added item.</summary>
    public T Latest => _items[(_next - 1 + _items.Length) % _items.Length];

    public IEnumerable<T> Items => _items.Take(Count);
}
