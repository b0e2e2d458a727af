using Dkms.Core.Blocks;
using Dkms.Core.Primitives;
using Microsoft.Extensions.Logging;

namespace Dkms.Consensus;

/// <summary>Message intake (checks before anything is counted), future-height buffering and catch-up.</summary>
public sealed partial class ConsensusStateMachine
{
    private readonly List<ConsensusEvent> _future = new();
    private readonly Dictionary<PublicKey, (ulong Height, DateTimeOffset At)> _served = new();
    private readonly Dictionary<PublicKey, (ulong Height, DateTimeOffset At)> _requested = new();
    private readonly Dictionary<PublicKey, (ulong Height, DateTimeOffset At)> _stale = new();
    private readonly HashSet<(PublicKey, ulong, int, VoteType)> _evidenceKeys = new();
    private bool _catchUpScheduled;

    private void OnProposal(PublicKey from, Proposal p)
    {
        if (!Route(from, p.Height, new ProposalReceived(from, p))) return;
        if (p.Round < 0 || p.Round > Round + _options.MaxRoundLookahead || p.ValidRound < -1 || p.ValidRound >= p.Round) return;
        if (p.Block.Height != Height || p.Proposer != _validators.Proposer(Height, p.Round)) return;
        if (!p.VerifySignature(_options.ChainId)) return;
        if (_waitingForTransactions) BeginFirstRound(); // the others have started this height
        AcceptProposal(p);
        Evaluate();
    }

    /// <summary>Keeps the first proposal of each round (a second, different one from the same proposer is ignored:
    /// an equivocating proposer can split honest prevotes but never make two blocks reach a quorum).</summary>
    private void AcceptProposal(Proposal p)
    {
        if (_log.Proposals.TryGetValue(p.Round, out var earlier))
        {
            if (earlier.Block.Hash != p.Block.Hash)
            {
                _logger.LogWarning("proposer {Proposer} sent two proposals at height {Height} round {Round}", p.Proposer, p.Height, p.Round);
            }

            return;
        }

        _log.Proposals[p.Round] = p;
        _log.Blocks.TryAdd(p.Block.Hash, p.Block);
        _log.NoteSender(p.Round, p.Proposer, _validators.PowerOf(p.Proposer));
    }

    private void OnVote(PublicKey from, Vote v)
    {
        if (!Route(from, v.Height, new VoteReceived(from, v))) return;
        if (v.Round < 0 || v.Round > Round + _options.MaxRoundLookahead || v.Type is not (VoteType.Prevote or VoteType.Precommit)) return;
        if (!_validators.Contains(v.Validator) || !v.VerifySignature(_options.ChainId)) return;
        if (_waitingForTransactions) BeginFirstRound();
        AddVote(v);
        Evaluate();
    }

    private void AddVote(Vote v)
    {
        var power = _validators.PowerOf(v.Validator);
        var earlier = _log.Votes(v.Round, v.Type).Add(v, power, out _);
        // One piece of evidence per (validator, round, type) and height: replayed conflicting votes must not grow memory.
        if (earlier is not null && _evidenceKeys.Add((v.Validator, v.Height, v.Round, v.Type)))
        {
            _logger.LogWarning("equivocation by {Validator}: {First} and {Second}", v.Validator, earlier, v);
            _evidence.Add(new EquivocationEvidence(earlier, v));
        }

        _log.NoteSender(v.Round, v.Validator, power);
    }

    /// <summary>True when the message is for the current height. Older heights: the sender is behind, send it
    /// the block it misses. Newer heights: buffer for replay and, if it persists, ask for the block we missed.</summary>
    private bool Route(PublicKey from, ulong height, ConsensusEvent e)
    {
        if (height == Height) return true;
        if (height < Height)
        {
            ServeLaggingPeer(from, height);
            return false;
        }

        if (_future.Count < _options.MaxBufferedMessages) _future.Add(e);
        if (height > Height + 1)
        {
            RequestBlock(from);
        }
        else if (!_catchUpScheduled)
        {
            // A peer one height ahead is normal for a few ms (it saw the precommits first); ask only if it lasts.
            _catchUpScheduled = true;
            Schedule(TimeoutKind.CatchUp, 0, _options.CatchUpDelay);
        }

        return false;
    }

    private void RequestBlock(PublicKey peer)
    {
        if (_requested.TryGetValue(peer, out var last) && last.Height == Height && _time.GetUtcNow() - last.At < _options.CatchUpDelay) return;
        _requested[peer] = (Height, _time.GetUtcNow());
        _out.Add(new SendAction(peer, ConsensusMessage.EncodeRequest(Height)));
    }

    private void ReplayBuffered()
    {
        if (_future.Count == 0) return;
        var pending = _future.ToArray();
        _future.Clear();
        foreach (var e in pending)
        {
            switch (e)
            {
                case ProposalReceived p when p.Proposal.Height >= Height: OnProposal(p.From, p.Proposal); break;
                case VoteReceived v when v.Vote.Height >= Height: OnVote(v.From, v.Vote); break;
            }
        }
    }

    /// <summary>A message of an older height. Normal traffic produces one per peer and height (the precommit that arrives
    /// after we decided, sent by a peer that decided at the same moment), so a single stale message is no sign of a
    /// lagging peer, and answering it would ship a whole block for nothing. A peer still sending messages of that height
    /// <see cref="ConsensusOptions.CatchUpDelay"/> after its first one is behind (it re-broadcasts while stuck): serve it
    /// then. A peer that knows it is behind asks with a block request, which is served at once.</summary>
    private void ServeLaggingPeer(PublicKey peer, ulong height)
    {
        var now = _time.GetUtcNow();
        if (!_stale.TryGetValue(peer, out var first) || first.Height != height)
        {
            if (_stale.Count >= _options.MaxBufferedMessages) _stale.Clear(); // senders are not authenticated here: stay bounded
            _stale[peer] = (height, now);
            return;
        }

        if (now - first.At >= _options.CatchUpDelay) ServeBlock(peer, height);
    }

    /// <summary>Catch-up, serving side: a peer behind gets our committed block and certificate (rate-limited per peer).</summary>
    private void ServeBlock(PublicKey peer, ulong height)
    {
        if (height == 0 || height >= Height) return;
        var key = peer;
        var now = _time.GetUtcNow();
        if (_served.TryGetValue(key, out var last) && last.Height == height && now - last.At < _options.CatchUpDelay) return;
        if (!_app.TryGetCommitted(height, out var block, out var certificate)) return;
        _served[key] = (height, now);
        _out.Add(new SendAction(peer, ConsensusMessage.Encode(block, certificate)));
    }

    /// <summary>Catch-up, receiving side: a block of our current height with a certificate that verifies against the
    /// validator set in force at that height is executed (its state root must match) and committed; then the next
    /// block is asked of the same peer at once, so a node far behind catches up block after block without waiting.</summary>
    private void OnBlockFetched(PublicKey from, Block block, CommitCertificate certificate)
    {
        if (block.Height != Height || certificate.Height != Height) return;
        if (!certificate.Verify(_validators, _options.ChainId, block.Hash, out var error))
        {
            _logger.LogWarning("fetched block at height {Height} has a bad certificate: {Error}", Height, error);
            return;
        }

        if (!IsValid(block))
        {
            // 2f+1 signed a block we cannot reproduce: our state diverged, or more than f are faulty. Stop here, loudly.
            _logger.LogError("certified block {Hash} at height {Height} does not execute to its state root here", block.Hash, Height);
            return;
        }

        Decide(block, certificate);
        RequestBlock(from);
    }
}
