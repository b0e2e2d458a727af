using Dkms.Consensus;
using Dkms.Core.Blocks;
using Dkms.Core.Encoding;
using Dkms.Core.Primitives;
using Dkms.Network;

namespace Dkms.Adversary;

/// <summary>The generators: each adds one or more messages to the outgoing list.</summary>
public sealed partial class Campaign
{
    private static readonly byte[] OneByte = [0];

    private void Generate(Strategy s)
    {
        switch (s)
        {
            case Strategy.MutateObserved:
                if (Seen.RawConsensus.Count == 0) goto case Strategy.MutateForged;
                Add(s, Mutate(Seen.RawConsensus.Pick(_random).Bytes), Target());
                break;
            case Strategy.MutateForged:
                Add(s, Mutate(ForgeAny()), Target());
                break;
            case Strategy.SignedVote:
                SignedVotes(s);
                break;
            case Strategy.SignedProposal:
                SignedProposals(s);
                break;
            case Strategy.AlteredRelay:
                AlteredRelay(s);
                break;
            case Strategy.UnsolicitedResponse:
                UnsolicitedResponse(s);
                break;
            case Strategy.Relay:
                Relay(s);
                break;
            case Strategy.Duplicate:
                {
                    var bytes = _random.Next(3) switch
                    {
                        0 when Seen.RawConsensus.Count > 0 => Seen.RawConsensus.Pick(_random).Bytes,
                        1 => Mutate(ForgeAny()),
                        _ => ForgeAny(),
                    };
                    var to = Target();
                    for (int i = 0, n = _random.Next(2, 21); i < n; i++) Add(s, bytes, to);
                    break;
                }

            case Strategy.Reorder:
                Reorder(s);
                break;
            case Strategy.BlockRequest:
                Add(s, ConsensusMessage.EncodeRequest(RequestHeight()), Target());
                break;
            case Strategy.Gossip:
                Gossip(s);
                break;
            case Strategy.FutureFlood:
                FutureFlood(s);
                break;
            case Strategy.MalformedNested:
                MalformedNested(s);
                break;
            case Strategy.FutureUnsigned:
                FutureUnsigned(s);
                break;
            case Strategy.DuplicateVotes:
                DuplicateVotes(s);
                break;
            case Strategy.Equivocation:
                Equivocation(s);
                break;
            case Strategy.PoisonTurn:
                PoisonTurn(s);
                break;
            case Strategy.PoisonResponse:
                PoisonResponses(s);
                break;
            case Strategy.BigBlockTurn:
                BigBlockTurn(s);
                break;
            case Strategy.Oversized:
                {
                    var bytes = new byte[_options.NodeMaxMessageBytes + _random.Next(1, 64 * 1024)];
                    _random.NextBytes(bytes.AsSpan(0, 4096)); // the rest stays zero: the size is the point
                    Add(s, bytes, Target(), _random.Next(2) == 0 ? PeerChannel.Consensus : PeerChannel.Mempool);
                    break;
                }
        }
    }

    private ulong H => Math.Max(Seen.Height, 1);

    private void Add(Strategy s, byte[] bytes, PublicKey? to, PeerChannel channel = PeerChannel.Consensus) =>
        _out.Add(new Outgoing(s, channel, bytes, to));

    /// <summary>One validator, or (one time in five) every connected one.</summary>
    private PublicKey? Target() => _random.Next(5) == 0 ? null : _connected[_random.Next(_connected.Length)];

    private byte[] Mutate(byte[] bytes)
    {
        var (mutated, kind) = _mutator.Mutate(bytes);
        Report.CountMutation(kind);
        return mutated;
    }

    /// <summary>A fresh consensus message of any kind, built (and where it can be, signed) by the adversary.</summary>
    private byte[] ForgeAny() => _random.Next(5) switch
    {
        0 => ConsensusMessage.Encode(RandomVote()),
        1 => ConsensusMessage.Encode(WrongProposal(H, OwnRoundOrAny())),
        2 => ConsensusMessage.EncodeRequest(RequestHeight()),
        3 when Response(out var block, out var certificate) => ConsensusMessage.Encode(block, certificate),
        _ when Seen.Proposals.Count > 0 => ConsensusMessage.Encode(Altered(Seen.Proposals.Pick(_random))),
        _ => ConsensusMessage.Encode(RandomVote()),
    };

    private void SignedVotes(Strategy s)
    {
        var v = RandomVote();
        Add(s, ConsensusMessage.Encode(v), Target());
        if (_random.Next(5) == 0)
        {
            // A double vote: same height, round and type, another block.
            var other = _forge.Vote(v.Type, v.Height, v.Round, v.IsNil ? RandomHash() : Hash32.Zero);
            Add(s, ConsensusMessage.Encode(other), Target());
        }
    }

    private Vote RandomVote()
    {
        var type = _random.Next(20) == 0 ? (VoteType)_random.Next(3, 256) : _random.Next(2) == 0 ? VoteType.Prevote : VoteType.Precommit;
        return _forge.Vote(type, VoteHeight(), VoteRound(), BlockHash());
    }

    private ulong VoteHeight() => _random.Next(20) switch
    {
        < 10 => H,
        < 13 => H - (ulong)Math.Min((long)H, _random.Next(1, 4)),
        < 16 => H + 1,
        < 18 => H + (ulong)_random.Next(2, 100),
        18 => H + (ulong)_random.Next(1_000_000, int.MaxValue),
        _ => ulong.MaxValue - (ulong)_random.Next(2),
    };

    private int VoteRound() => _random.Next(20) switch
    {
        < 8 => Seen.Round,
        < 14 => _random.Next(0, Seen.Round + 4),
        < 16 => Seen.Round + _random.Next(50, 150),
        16 => -1 - _random.Next(2),
        17 => int.MaxValue - _random.Next(2),
        _ => _random.Next(),
    };

    private Hash32 BlockHash() => _random.Next(10) switch
    {
        < 3 => Hash32.Zero,
        < 8 when Seen.Proposals.Count > 0 => Seen.Proposals.Pick(_random).Block.Hash,
        _ => RandomHash(),
    };

    private Hash32 RandomHash()
    {
        Span<byte> b = stackalloc byte[32];
        _random.NextBytes(b);
        return new Hash32(b);
    }

    private int OwnRoundOrAny()
    {
        var r = _forge.OwnRound(H, Seen.Round);
        return r >= 0 ? r : _random.Next(0, Seen.Round + 2);
    }

    private ulong RequestHeight() => _random.Next(8) switch
    {
        0 => 0,
        1 => 1,
        2 => H - 1,
        3 => H,
        4 => H + 1,
        5 => (ulong)_random.NextInt64(1, (long)Math.Min(H, long.MaxValue) + 1),
        6 => H + 1_000,
        _ => ulong.MaxValue,
    };

    private void Relay(Strategy s)
    {
        if (Seen.RawConsensus.Count == 0)
        {
            Add(s, ForgeAny(), Target());
            return;
        }

        var m = Seen.RawConsensus.Pick(_random);
        // Prefer a validator other than the author: the message then arrives from the "wrong" peer.
        var others = _connected.Where(k => k != m.From).ToArray();
        Add(s, m.Bytes, others.Length > 0 && _random.Next(4) != 0 ? others[_random.Next(others.Length)] : Target());
    }

    private void Reorder(Strategy s)
    {
        var start = _out.Count;
        var n = _random.Next(3, 11);
        for (var i = 0; i < n; i++)
        {
            Generate(_random.Next(4) switch
            {
                0 => Strategy.SignedVote,
                1 => Strategy.AlteredRelay,
                2 => Strategy.Relay,
                _ => Strategy.SignedProposal,
            });
        }

        var run = _out.GetRange(start, _out.Count - start);
        _out.RemoveRange(start, run.Count);
        _random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(run));
        foreach (var o in run) _out.Add(o with { Strategy = s });
    }

    /// <summary>Transaction gossip: mutated batches, garbage entries, valid transactions many times over, oversized lists.</summary>
    private void Gossip(Strategy s)
    {
        byte[] bytes;
        switch (_random.Next(6))
        {
            case 0 when Seen.Gossip.Count > 0:
                bytes = Mutate(Seen.Gossip.Pick(_random));
                break;
            case 1 when Seen.Transactions.Count > 0:
                bytes = Codec.Encode(Enumerable.Range(0, _random.Next(1, 2_000)).Select(_ => Seen.Transactions.Pick(_random)).ToArray());
                break;
            case 2:
                bytes = Codec.Encode(Enumerable.Range(0, _random.Next(1, 500)).Select(_ => RandomBytes(_random.Next(0, 400))).ToArray());
                break;
            case 3:
                bytes = Codec.Encode(Enumerable.Range(0, _random.Next(10_000, 100_000)).Select(_ => OneByte).ToArray());
                break;
            case 4 when Seen.Transactions.Count > 0:
                bytes = Codec.Encode(Enumerable.Range(0, _random.Next(1, 50)).Select(_ => Mutate(Seen.Transactions.Pick(_random))).ToArray());
                break;
            default:
                bytes = RandomBytes(_random.Next(0, 1_000));
                break;
        }

        Add(s, bytes, Target(), PeerChannel.Mempool);
    }

    /// <summary>Validly signed votes far ahead, and big proposals for coming heights: what a node keeps for later.</summary>
    private void FutureFlood(Strategy s)
    {
        var height = _random.Next(3) == 0 ? H + 1 : H + (ulong)_random.Next(2, 10_000);
        if (_random.Next(10) < 7)
        {
            var type = _random.Next(2) == 0 ? VoteType.Prevote : VoteType.Precommit;
            Add(s, ConsensusMessage.Encode(_forge.Vote(type, height, _random.Next(0, 100), RandomHash())), Target());
            return;
        }

        var txs = Enumerable.Range(0, _random.Next(16, 64)).Select(_ => RandomBytes(2_000)).ToArray();
        var round = _random.Next(0, 100);
        var header = _forge.Header(height, round, RandomHash(), txs, RandomHash(), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        Add(s, ConsensusMessage.Encode(_forge.Proposal(height, round, -1, new Block(header, txs))), Target());
    }

    private byte[] RandomBytes(int n)
    {
        var b = new byte[n];
        _random.NextBytes(b);
        return b;
    }
}
