using Dkms.Consensus;
using Dkms.Core.Blocks;
using Dkms.Core.Primitives;

namespace Dkms.Adversary;

/// <summary>Generators of proposals and block responses: signed in the adversary's name, or honest ones with other transactions.</summary>
public sealed partial class Campaign
{
    private void SignedProposals(Strategy s)
    {
        var round = OwnRoundOrAny();
        Add(s, ConsensusMessage.Encode(WrongProposal(H, round)), Target());
        // An equivocating proposer: a second, different proposal for the same round.
        if (_random.Next(6) == 0) Add(s, ConsensusMessage.Encode(WrongProposal(H, round)), Target());
    }

    /// <summary>A proposal signed by the adversary whose block is wrong in one way (or, at worst, only in its state root).</summary>
    private Proposal WrongProposal(ulong height, int round)
    {
        var chainId = _forge.ChainId;
        var headerHeight = height;
        var headerRound = round;
        var previous = Seen.PreviousHash;
        var proposer = _forge.Key;
        var timestamp = Math.Max(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), Seen.LatestTimestampMs + 1);
        IReadOnlyList<byte[]> txs = ObservedTransactions(_random.Next(0, 8));
        Hash32? txRoot = null;
        switch (_random.Next(11))
        {
            case 1: headerHeight = _random.Next(2) == 0 ? height + 1 : height - 1; break;
            case 2: timestamp = _random.Next(5) switch { 0 => timestamp + 3_600_000, 1 => 0, 2 => -1, 3 => long.MaxValue, _ => Seen.LatestTimestampMs }; break;
            case 3: previous = RandomHash(); break;
            case 4: txs = Enumerable.Repeat(OneByte, _random.Next(5_001, 20_000)).ToArray(); break; // more than any block may hold
            case 5: txs = Enumerable.Range(0, _random.Next(1, 20)).Select(_ => RandomBytes(_random.Next(0, 300))).ToArray(); break;
            case 6: proposer = new PublicKey(RandomHash().ToArray()); break;
            case 7: headerRound = _random.Next(2) == 0 ? round + 1 : -1; break;
            case 8: chainId += "-other"; break;
            case 9: txRoot = RandomHash(); break;
            case 10 when txs.Count > 0: txs = [.. txs, txs[0]]; break; // one transaction twice
            default: break; // everything as an honest proposer would have it, except the state root (never executed)
        }

        var header = new BlockHeader(chainId, headerHeight, headerRound, previous, txRoot ?? Block.ComputeTransactionRoot(txs), RandomHash(), proposer, timestamp);
        var validRound = _random.Next(8) != 0 ? -1 : _random.Next(5) switch { 0 => -2, 1 => round, 2 => round + 1, 3 => int.MaxValue, _ => round - 1 };
        return _forge.Proposal(height, round, validRound, new Block(header, txs));
    }

    private void AlteredRelay(Strategy s)
    {
        if (Seen.Proposals.Count == 0)
        {
            SignedProposals(s);
            return;
        }

        var current = Seen.Proposals.Items.Where(p => p.Height == Seen.Height).ToList();
        var p = current.Count > 0 ? current[_random.Next(current.Count)] : Seen.Proposals.Pick(_random);
        var others = _connected.Where(k => k != p.Proposer).ToArray();
        var to = others.Length > 0 && _random.Next(5) != 0 ? others[_random.Next(others.Length)] : (PublicKey?)null;
        Add(s, ConsensusMessage.Encode(Altered(p)), to);
    }

    /// <summary>The honest proposal with the same header and signature, carrying other transactions.</summary>
    private Proposal Altered(Proposal p) =>
        new(p.Height, p.Round, p.ValidRound, Forge.WithTransactions(p.Block, AlteredTransactions(p.Block.Transactions)), p.Proposer, p.Signature);

    private List<byte[]> AlteredTransactions(IReadOnlyList<byte[]> original)
    {
        var txs = original.ToList();
        switch (_random.Next(8))
        {
            case 0 when txs.Count > 0: txs.RemoveAt(_random.Next(txs.Count)); break;
            case 1: txs.Insert(_random.Next(txs.Count + 1), ObservedTransactions(1).FirstOrDefault() ?? RandomBytes(100)); break;
            case 2: txs = [.. Enumerable.Range(0, _random.Next(1, 10)).Select(_ => RandomBytes(_random.Next(0, 300)))]; break;
            case 3 when txs.Count > 0: txs.Clear(); break;
            case 4 when txs.Count > 0: txs.Insert(_random.Next(txs.Count + 1), txs[_random.Next(txs.Count)]); break;
            case 5 when txs.Count > 1:
                {
                    int a = _random.Next(txs.Count), b = (a + 1 + _random.Next(txs.Count - 1)) % txs.Count;
                    (txs[a], txs[b]) = (txs[b], txs[a]);
                    break;
                }

            case 6 when txs.Count > 0:
                {
                    var i = _random.Next(txs.Count);
                    txs[i] = txs[i].Length == 0 ? [1] : (byte[])txs[i].Clone();
                    txs[i][_random.Next(txs[i].Length)] ^= (byte)(1 << _random.Next(8));
                    break;
                }

            case 7: txs.Add(null!); break; // a nil entry in the list
            default: txs.Add(RandomBytes(_random.Next(1, 300))); break;
        }

        // A swap of two equal transactions changes nothing; the point is a block that no longer matches its header.
        if (txs.Count == original.Count && txs.Zip(original).All(x => ReferenceEquals(x.First, x.Second))) txs.Add(RandomBytes(50));
        return txs;
    }

    private void UnsolicitedResponse(Strategy s)
    {
        if (Response(out var block, out var certificate))
        {
            var bytes = ConsensusMessage.Encode(block, certificate);
            Add(s, _random.Next(4) == 0 ? Mutate(bytes) : bytes, Target());
            return;
        }

        // Nothing certified seen yet: a block of the adversary's with only its own precommit.
        var p = WrongProposal(H, OwnRoundOrAny());
        var own = _forge.Vote(VoteType.Precommit, p.Height, p.Round, p.Block.Hash);
        Add(s, ConsensusMessage.Encode(p.Block, CommitCertificate.FromPrecommits(p.Height, p.Round, p.Block.Hash, [own])), Target());
    }

    /// <summary>
    /// A recently precommitted honest block with a certificate completed by the adversary's own precommit; most often
    /// with other transactions (same hash, so the certificate verifies). False when nothing of the kind was seen.
    /// </summary>
    private bool Response(out Block block, out CommitCertificate certificate)
    {
        block = null!;
        certificate = null!;
        var candidates = Seen.PrecommittedBlocks().Take(4).ToList();
        while (candidates.Count > 0)
        {
            var i = _random.Next(candidates.Count);
            var (height, round, hash) = candidates[i];
            candidates.RemoveAt(i);
            var proposal = Seen.Proposals.Items.FirstOrDefault(p => p.Block.Hash == hash);
            var cert = _forge.Certificate(height, round, hash, Seen.PrecommitsFor(height, round, hash));
            if (proposal is null || cert is null) continue;
            certificate = cert;
            block = _random.Next(10) < 3 ? proposal.Block : Forge.WithTransactions(proposal.Block, AlteredTransactions(proposal.Block.Transactions));
            return true;
        }

        if (Seen.Responses.Count == 0) return false;
        var (b, c) = Seen.Responses.Pick(_random);
        block = Forge.WithTransactions(b, AlteredTransactions(b.Transactions));
        certificate = c;
        return true;
    }

    private List<byte[]> ObservedTransactions(int n) =>
        Seen.Transactions.Count == 0 ? [] : [.. Enumerable.Range(0, n).Select(_ => Seen.Transactions.Pick(_random))];
}
