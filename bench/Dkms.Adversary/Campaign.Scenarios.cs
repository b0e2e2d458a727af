using Dkms.Adversary.Fuzzing;
using Dkms.Client;
using Dkms.Consensus;
using Dkms.Core.Blocks;
using Dkms.Core.Crypto;
using Dkms.Core.Primitives;
using Dkms.Core.Transactions;

namespace Dkms.Adversary;

/// <summary>
/// The named scenarios of issue 16, one generator each: (1) malformed nested messages, (2) work and memory before
/// authentication, (3) a block whose transactions do not match its signed header, (7) a block beyond the genesis limit.
/// </summary>
public sealed partial class Campaign
{
    // Message layout (MessagePack arrays, by [Key] index): ConsensusMessage [Kind, Proposal, Vote, Height, Block, Certificate];
    // Proposal [Height, Round, ValidRound, Block, Proposer, Signature]; Block [Header, Transactions];
    // Vote [Type, Height, Round, BlockHash, Validator, Signature]; CommitCertificate [Height, Round, BlockHash, Signatures].
    private const int MsgProposal = 1, MsgVote = 2, MsgBlock = 4, MsgCertificate = 5;
    private const int ProposalBlock = 3, ProposalProposer = 4, ProposalSignature = 5;
    private const int BlockHeader = 0, BlockTransactions = 1;
    private const int VoteValidator = 4, VoteSignature = 5;
    private const int CertificateSignatures = 3;

    /// <summary>Size of the transactions of one far-future proposal.</summary>
    private const int FutureProposalBytes = 512 * 1024;

    private readonly HashSet<(ulong Height, int Round)> _ownProposals = [];
    private readonly List<PendingResponse> _pendingResponses = [];
    private int _ownTransactions;
    private int _poisonTurns;
    private readonly List<(DateTime Due, Outgoing Message)> _delayed = [];

    /// <summary>How far ahead of its clock a node accepts a block's timestamp (ConsensusOptions.MaxClockDrift).</summary>
    private static readonly TimeSpan ClockDrift = TimeSpan.FromSeconds(2);

    /// <summary>How far beyond <see cref="ClockDrift"/> the clock variant stamps its block.</summary>
    private static readonly TimeSpan ClockEdge = TimeSpan.FromMilliseconds(100);

    /// <summary>(1) A message whose envelope is fine and whose nested fields are nil or missing, for the current height.</summary>
    private void MalformedNested(Strategy s)
    {
        var round = Math.Max(Seen.Round, 0);
        var own = _forge.OwnRound(H, round, within: 4);
        var txs = ObservedTransactions(_random.Next(0, 4));
        var header = _forge.Header(H, own >= 0 ? own : round, Seen.PreviousHash, txs, RandomHash(), Math.Max(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), Seen.LatestTimestampMs + 1));
        var block = new Block(header, txs);
        var proposal = _forge.Proposal(H, own >= 0 ? own : round, -1, block);
        var certificate = CommitCertificate.FromPrecommits(H, round, block.Hash, [_forge.Vote(VoteType.Precommit, H, round, block.Hash)]);
        MpValue tree;
        switch (_random.Next(10))
        {
            case 0: // a proposal without its block
                tree = Parse(ConsensusMessage.Encode(proposal));
                tree.Items[MsgProposal].Items[ProposalBlock].Become(MpValue.Nil());
                break;
            case 1: // a block without its header
                tree = Parse(ConsensusMessage.Encode(proposal));
                tree.Items[MsgProposal].Items[ProposalBlock].Items[BlockHeader].Become(MpValue.Nil());
                break;
            case 2: // a block with no fields at all
                tree = Parse(ConsensusMessage.Encode(proposal));
                tree.Items[MsgProposal].Items[ProposalBlock].Become(MpValue.Array([]));
                break;
            case 3: // a validly signed proposal without its transaction list (the signature covers the header only)
                tree = Parse(ConsensusMessage.Encode(proposal));
                tree.Items[MsgProposal].Items[ProposalBlock].Items[BlockTransactions].Become(MpValue.Nil());
                break;
            case 4: // a validly signed proposal with a nil transaction in its list
                tree = Parse(ConsensusMessage.Encode(proposal));
                tree.Items[MsgProposal].Items[ProposalBlock].Items[BlockTransactions].Items.Add(MpValue.Nil());
                break;
            case 5: // a proposal without proposer or signature
                tree = Parse(ConsensusMessage.Encode(proposal));
                tree.Items[MsgProposal].Items[_random.Next(2) == 0 ? ProposalProposer : ProposalSignature].Become(MpValue.Nil());
                break;
            case 6: // a vote without validator or signature
                tree = Parse(ConsensusMessage.Encode(_forge.Vote(VoteType.Prevote, H, round, block.Hash)));
                tree.Items[MsgVote].Items[_random.Next(2) == 0 ? VoteValidator : VoteSignature].Become(MpValue.Nil());
                break;
            case 7: // a block response whose block has no header
                tree = Parse(ConsensusMessage.Encode(block, certificate));
                tree.Items[MsgBlock].Items[BlockHeader].Become(MpValue.Nil());
                break;
            case 8: // a block response whose certificate has no signature list
                tree = Parse(ConsensusMessage.Encode(block, certificate));
                tree.Items[MsgCertificate].Items[CertificateSignatures].Become(MpValue.Nil());
                break;
            default: // a block response whose certificate lists a nil signature, or whose block has no transaction list
                tree = Parse(ConsensusMessage.Encode(block, certificate));
                if (_random.Next(2) == 0) tree.Items[MsgCertificate].Items[CertificateSignatures].Items.Insert(0, MpValue.Nil());
                else tree.Items[MsgBlock].Items[BlockTransactions].Become(MpValue.Nil());
                break;
        }

        Add(s, tree.Encode(), Target());
    }

    private static MpValue Parse(byte[] encoded) =>
        MpValue.TryParse(encoded, out var tree) ? tree : throw new InvalidOperationException("a protocol message did not parse as MessagePack");

    /// <summary>(2) Proposals and votes for heights ahead with signatures that do not verify (a node that buffers before
    /// checking keeps them), big proposals among them.</summary>
    private void FutureUnsigned(Strategy s)
    {
        var height = H + (ulong)_random.Next(1, 5_000);
        var round = _random.Next(0, 100);
        if (_random.Next(8) != 0)
        {
            var v = _forge.Vote(_random.Next(2) == 0 ? VoteType.Prevote : VoteType.Precommit, height, round, RandomHash());
            var forged = new Vote(v.Type, v.Height, v.Round, v.BlockHash, _random.Next(2) == 0 ? v.Validator : new PublicKey(RandomHash().ToArray()), RandomBytes(64));
            Add(s, ConsensusMessage.Encode(forged), Target());
            return;
        }

        var txs = Enumerable.Range(0, 16).Select(_ => RandomBytes(FutureProposalBytes / 16)).ToArray();
        var header = _forge.Header(height, round, RandomHash(), txs, RandomHash(), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        var p = _forge.Proposal(height, round, -1, new Block(header, txs));
        Add(s, ConsensusMessage.Encode(new Proposal(p.Height, p.Round, p.ValidRound, p.Block, p.Proposer, RandomBytes(64))), Target());
    }

    /// <summary>(2) One validly signed vote of the current height, many times: each copy costs a signature check today.</summary>
    private void DuplicateVotes(Strategy s)
    {
        var bytes = ConsensusMessage.Encode(_forge.Vote(_random.Next(2) == 0 ? VoteType.Prevote : VoteType.Precommit, H, Seen.Round + _random.Next(0, 3), RandomHash()));
        var to = Target();
        for (int i = 0, n = _random.Next(5, 16); i < n; i++) Add(s, bytes, to);
    }

    /// <summary>(2) Conflicting votes of the adversary's for every round in reach: each pair is equivocation evidence a node keeps.</summary>
    private void Equivocation(Strategy s)
    {
        var round = Seen.Round + _random.Next(0, 100);
        var type = _random.Next(2) == 0 ? VoteType.Prevote : VoteType.Precommit;
        var to = Target();
        Add(s, ConsensusMessage.Encode(_forge.Vote(type, H, round, RandomHash())), to);
        Add(s, ConsensusMessage.Encode(_forge.Vote(type, H, round, RandomHash())), to);
    }

    /// <summary>
    /// (3) In its own proposer turns the adversary proposes a valid block (built on its replica) and votes for it, and
    /// in turn: (a) sends one honest validator the same signed header with other transactions; (b) sends the block to
    /// all but one, then, once two honest precommits make a certificate, the altered block as a catch-up answer nobody
    /// asked for (the one left out has no other copy yet); (c) stamps the block just beyond the nodes' clock drift allowance, sends it to one validator
    /// at once (a clock-dependent refusal) and to the others a moment later, when it has become acceptable.
    /// </summary>
    private void PoisonTurn(Strategy s)
    {
        if (!OwnTurn(out var height, out var round)) return;
        var txs = OwnTransactions(3);
        var variant = _poisonTurns++ % 3;
        var ahead = variant == 2 ? ClockDrift + ClockEdge : TimeSpan.Zero;
        if (!ValidBlock(height, round, txs, out var block, ahead)) return;
        var proposal = ConsensusMessage.Encode(_forge.Proposal(height, round, -1, block));
        var victim = _connected[(int)(height % (ulong)_connected.Length)];
        var altered = Forge.WithTransactions(block, [.. txs.SkipLast(1)]);
        switch (variant)
        {
            case 0:
                var signed = _forge.Proposal(height, round, -1, block);
                Add(s, ConsensusMessage.Encode(new Proposal(height, round, -1, altered, signed.Proposer, signed.Signature)), victim);
                foreach (var other in _connected.Where(k => k != victim)) Add(s, proposal, other);
                break;
            case 1:
                // The victim does not get the block: it learns it only from the catch-up answer the adversary sends first.
                foreach (var other in _connected.Where(k => k != victim)) Add(s, proposal, other);
                _pendingResponses.Add(new PendingResponse(height, round, block.Hash, altered, DateTime.UtcNow + TimeSpan.FromSeconds(10)));
                break;
            default:
                Add(s, proposal, victim);
                // Once its timestamp is within the allowance (and well before the others' propose timeout).
                var due = DateTime.UtcNow + ClockEdge + ClockEdge / 2;
                foreach (var other in _connected.Where(k => k != victim)) _delayed.Add((due, new Outgoing(s, Network.PeerChannel.Consensus, proposal, other)));
                break;
        }

        VoteFor(s, height, round, block.Hash);
    }

    /// <summary>(3) Sends the altered block with a certificate (two honest precommits and the adversary's) as soon as one
    /// can be made, and the delayed proposals that are due.</summary>
    private void PoisonResponses(Strategy s)
    {
        for (var i = _pendingResponses.Count - 1; i >= 0; i--)
        {
            var r = _pendingResponses[i];
            var certificate = _forge.Certificate(r.Height, r.Round, r.Hash, Seen.PrecommitsFor(r.Height, r.Round, r.Hash));
            if (certificate is null && DateTime.UtcNow < r.Until) continue;
            _pendingResponses.RemoveAt(i);
            if (certificate is not null) Add(s, ConsensusMessage.Encode(r.Altered, certificate), null);
        }

        for (var i = _delayed.Count - 1; i >= 0; i--)
        {
            if (_delayed[i].Due > DateTime.UtcNow) continue;
            _out.Add(_delayed[i].Message);
            _delayed.RemoveAt(i);
        }
    }

    /// <summary>(7) In its own proposer turns the adversary proposes a valid block of one transaction more than the genesis allows, and votes for it.</summary>
    private void BigBlockTurn(Strategy s)
    {
        if (!OwnTurn(out var height, out var round)) return;
        var txs = OwnTransactions(_replica!.Genesis.Consensus.MaxBlockTransactions + 1);
        if (!ValidBlock(height, round, txs, out var block)) return;
        Add(s, ConsensusMessage.Encode(_forge.Proposal(height, round, -1, block)), null);
        VoteFor(s, height, round, block.Hash);
    }

    /// <summary>True once per (height, round) when the adversary is the proposer of the round the honest validators are in
    /// at the height after its replica's last block.</summary>
    private bool OwnTurn(out ulong height, out int round)
    {
        height = _replica!.Height + 1;
        round = -1;
        if (Seen.Height > height) return false; // the replica is still catching up
        var current = Seen.Height == height ? Math.Max(Seen.Round, 0) : 0;
        if (_replica.NextValidators().Proposer(height, current) != _forge.Key || !_ownProposals.Add((height, current))) return false;
        round = current;
        return true;
    }

    private bool ValidBlock(ulong height, int round, IReadOnlyList<byte[]> txs, out Block block, TimeSpan ahead = default)
    {
        var timestamp = Math.Max((DateTimeOffset.UtcNow + ahead).ToUnixTimeMilliseconds(), _replica!.LastBlockTimeMs + 1);
        block = null!;
        if (_replica.StateRootOf(timestamp, txs) is not { } stateRoot)
        {
            Report.CountNotBuilt();
            return false;
        }

        var header = new BlockHeader(_forge.ChainId, height, round, _replica.LastBlockHash, Block.ComputeTransactionRoot(txs), stateRoot, _forge.Key, timestamp);
        block = new Block(header, txs);
        return true;
    }

    private void VoteFor(Strategy s, ulong height, int round, Hash32 block)
    {
        Add(s, ConsensusMessage.Encode(_forge.Vote(VoteType.Prevote, height, round, block)), null);
        Add(s, ConsensusMessage.Encode(_forge.Vote(VoteType.Precommit, height, round, block)), null);
    }

    /// <summary>Valid transactions only the adversary has: inceptions of fresh identities (deterministic keys).</summary>
    private List<byte[]> OwnTransactions(int n)
    {
        var builder = new TransactionBuilder(_forge.ChainId);
        var txs = new List<byte[]>(n);
        for (var i = 0; i < n; i++, _ownTransactions++)
        {
            var key = OwnKey(_ownTransactions, 0);
            var config = new KeyConfig([key.PublicKey], 1, [OwnKey(_ownTransactions, 1).PublicKey.Digest()], 1);
            txs.Add(builder.Inception(config, [key]).Tx.Encoded);
        }

        return txs;
    }

    private Ed25519Signer OwnKey(int i, int rotation) =>
        Ed25519Signer.FromSeed(Hash32.Sha256(System.Text.Encoding.UTF8.GetBytes($"adversary/{_options.Seed}/{_forge.Key.ToHex()}/{i}/{rotation}")).ToArray());

    private sealed record PendingResponse(ulong Height, int Round, Hash32 Hash, Block Altered, DateTime Until);
}
