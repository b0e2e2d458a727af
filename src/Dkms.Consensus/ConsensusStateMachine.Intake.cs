using Dkms.Core.Blocks;
using Dkms.Core.Primitives;
using Microsoft.Extensions.Logging;

namespace Dkms.Consensus;

/// <summary>
/// Message intake, future-height buffering and catch-up. Every message passes its cheap checks (the sender signs for
/// itself and is a validator, height and round in the window, not a duplicate, room in the sender's share) before the
/// costly ones (signature, transaction root), and all of them before anything is kept, counted or cached. A message
/// that fails one is dropped and counted against its sender (<see cref="Intake"/>). Shapes were checked at decoding
/// (<see cref="ConsensusMessage.TryDecode"/>).
/// </summary>
public sealed partial class ConsensusStateMachine
{
    private const byte ProposalKind = 0;

    private readonly FutureBuffer _future = new();
    private readonly Dictionary<PublicKey, (ulong Height, DateTimeOffset At)> _served = new();
    private readonly Dictionary<PublicKey, (ulong Height, DateTimeOffset At)> _requested = new();
    private readonly Dictionary<PublicKey, (ulong Height, DateTimeOffset At)> _stale = new();
    private readonly Dictionary<PublicKey, int> _responses = new(); // catch-up responses checked at this height, per peer
    private readonly Dictionary<PublicKey, (DateTimeOffset Since, int Count, long Bytes)> _serving = new(); // blocks served per peer and window
    private readonly Dictionary<PublicKey, int> _strikes = new(); // bad signatures and tampered blocks per peer at this height
    private readonly HashSet<(PublicKey, int, VoteType)> _evidenceKeys = new(); // this height's
    private bool _catchUpScheduled;

    /// <summary>Messages of future heights held for replay.</summary>
    public int BufferedMessages => _future.Count;

    /// <summary>Messages of future heights held from <paramref name="peer"/>.</summary>
    public int BufferedMessagesOf(PublicKey peer) => _future.CountOf(peer);

    /// <summary>Bytes of proposed transactions in messages held for future heights.</summary>
    public long BufferedTransactionBytes => _future.TransactionBytes;

    /// <summary>Counts a dropped message against its sender; logs the first of each kind per peer and interval. Thread-safe
    /// (the driver drops undecodable bytes on transport threads).</summary>
    public void Drop(PublicKey from, DropReason reason, string why)
    {
        if (!Intake.Count(from, reason, out var unlogged)) return;
        var level = reason.IsMisbehaviour() ? LogLevel.Warning : LogLevel.Debug;
        if (_logger.IsEnabled(level))
        {
            _logger.Log(level, "dropped a consensus message from {Peer}: {Reason} ({Why}); {Unlogged} more not logged", from, reason, why, unlogged);
        }
    }

    /// <summary>True, and the message dropped, if <paramref name="from"/> has used up its strikes at this height: what it
    /// sends is not worth a signature check until the next height.</summary>
    private bool Struck(PublicKey from)
    {
        var strikes = _strikes.GetValueOrDefault(from);
        if (strikes < IntakeBounds.StrikesPerPeerPerHeight) return false;
        Drop(from, DropReason.Strikes, $"{strikes} bad signatures or tampered blocks from this peer at this height");
        return true;
    }

    /// <summary>Drops a message that proves its (authenticated) sender misbehaves, and counts a strike against it.</summary>
    private void Strike(PublicKey from, DropReason reason, string why)
    {
        if (_strikes.Count >= IntakeBounds.MaxTrackedPeers) _strikes.Clear();
        _strikes[from] = _strikes.GetValueOrDefault(from) + 1;
        Drop(from, reason, why);
    }

    private void OnProposal(PublicKey from, Proposal p, bool verified = false, Vote[]? justification = null)
    {
        if (from != p.Proposer)
        {
            Drop(from, DropReason.NotOwnMessage, "a proposal signed by another validator");
            return;
        }

        if (p.Height < Height)
        {
            if (_validators.Contains(from)) ServeLaggingPeer(from, p.Height);
            else Drop(from, DropReason.NotValidator, $"proposal of height {p.Height} by a key outside the validator set");
            return;
        }

        if (p.Height > Height)
        {
            Buffer(from, p.Height, p.Round, ProposalKind, new ProposalReceived(from, p, justification), verified);
            return;
        }

        if (p.Round > Round + IntakeBounds.ProposalRoundLookahead)
        {
            Drop(from, DropReason.OutOfWindow, $"proposal for round {p.Round}, this node is in round {Round}");
            return;
        }

        if (p.Proposer != _validators.Proposer(Height, p.Round))
        {
            Drop(from, DropReason.NotValidator, $"not the proposer of round {p.Round}");
            return;
        }

        if (_log.Proposals.TryGetValue(p.Round, out var earlier))
        {
            // One proposal per round counts (an equivocating proposer can split honest prevotes, never make two blocks
            // reach a quorum): a second is not worth a signature check.
            if (earlier.Block.Hash != p.Block.Hash) _logger.LogWarning("proposer {Proposer} sent two proposals at height {Height} round {Round}", p.Proposer, p.Height, p.Round);
            Drop(from, DropReason.Duplicate, "a proposal of this round is already held");
            // Its prevotes may be news (the proposer has seen more of them since): each is checked on its own.
            if (earlier.Block.Hash == p.Block.Hash && earlier.ValidRound == p.ValidRound && AcceptJustification(from, justification)) Evaluate();
            return;
        }

        if (!verified && !Authentic(from, p)) return;
        StartHeightIfNotStarted(); // the others have started this height
        AcceptProposal(p);
        AcceptJustification(from, justification);
        Evaluate();
    }

    /// <summary>The costly checks of a proposal: its signature, then that its transactions are the ones its header
    /// commits to (the signature covers the header only).</summary>
    private bool Authentic(PublicKey from, Proposal p)
    {
        if (Struck(from)) return false;
        Intake.CountSignatureCheck();
        if (!p.VerifySignature(_options.ChainId))
        {
            Strike(from, DropReason.BadSignature, "proposal signature does not verify");
            return false;
        }

        if (!p.Block.TransactionRootMatches())
        {
            Strike(from, DropReason.TamperedBlock, "proposal transactions do not match the header's transaction root");
            return false;
        }

        return true;
    }

    /// <summary>The votes that came with an authentic message (<see cref="ConsensusMessage.Justification"/>: the prevotes of
    /// a re-proposal's valid round, or the precommits of the round before a vote's; their shape was checked at decoding):
    /// each not yet held is verified against its own signer and counted like a vote that signer sent; a bad signature is
    /// a strike against the validator that passed it on. True if one was new.</summary>
    private bool AcceptJustification(PublicKey from, Vote[]? votes)
    {
        if (votes is null) return false;
        var added = false;
        foreach (var v in votes)
        {
            if (!_validators.Contains(v.Validator))
            {
                Drop(from, DropReason.NotValidator, "a justifying vote by a key outside the validator set");
                continue;
            }

            if (_log.Votes(v.Round, v.Type).TryGet(v.Validator, out var held)
                && (held.BlockHash == v.BlockHash || _evidenceKeys.Contains((v.Validator, v.Round, v.Type)))) continue;
            if (Struck(from)) return added;
            Intake.CountSignatureCheck();
            if (!v.VerifySignature(_options.ChainId))
            {
                Strike(from, DropReason.BadSignature, "justifying vote signature does not verify");
                continue;
            }

            AddVote(v);
            added = true;
        }

        return added;
    }

    /// <summary>Keeps the first proposal of each round.</summary>
    private void AcceptProposal(Proposal p)
    {
        if (!_log.Proposals.TryAdd(p.Round, p)) return;
        _log.Blocks.TryAdd(p.Block.Hash, p.Block);
        _log.NoteSender(p.Round, p.Proposer, _validators.PowerOf(p.Proposer));
    }

    private void OnVote(PublicKey from, Vote v, bool verified = false, Vote[]? justification = null)
    {
        if (from != v.Validator)
        {
            Drop(from, DropReason.NotOwnMessage, "a vote signed by another validator");
            return;
        }

        if (v.Height < Height)
        {
            if (_validators.Contains(from)) ServeLaggingPeer(from, v.Height);
            else Drop(from, DropReason.NotValidator, $"vote of height {v.Height} by a key outside the validator set");
            return;
        }

        if (v.Height > Height)
        {
            Buffer(from, v.Height, v.Round, (byte)v.Type, new VoteReceived(from, v, justification), verified);
            return;
        }

        if (!_validators.Contains(from))
        {
            Drop(from, DropReason.NotValidator, "vote by a key outside the validator set");
            return;
        }

        if (v.Round > Round + _options.MaxRoundLookahead)
        {
            Drop(from, DropReason.OutOfWindow, $"vote for round {v.Round}, this node is in round {Round}");
            return;
        }

        // The precommits that took the sender out of the round before its vote's matter only to a node still behind it
        // (it may be waiting for precommits it was never shown); to any other they are not worth a signature check.
        var justifies = v.Round > Round ? justification : null;

        // Duplicates go before the signature check: a re-broadcast vote, or a further conflicting one once the
        // equivocation is on record, changes nothing — but the precommits it carries may be news (the sender has seen
        // more of them since), each checked on its own.
        if (_log.Votes(v.Round, v.Type).TryGet(v.Validator, out var held)
            && (held.BlockHash == v.BlockHash || _evidenceKeys.Contains((v.Validator, v.Round, v.Type))))
        {
            Drop(from, DropReason.Duplicate, "vote already held");
            if (AcceptJustification(from, justifies)) Evaluate();
            return;
        }

        if (!verified)
        {
            if (Struck(from)) return;
            Intake.CountSignatureCheck();
            if (!v.VerifySignature(_options.ChainId))
            {
                Strike(from, DropReason.BadSignature, "vote signature does not verify");
                return;
            }
        }

        StartHeightIfNotStarted();
        AddVote(v);
        AcceptJustification(from, justifies);
        Evaluate();
    }

    private void AddVote(Vote v)
    {
        var power = _validators.PowerOf(v.Validator);
        var earlier = _log.Votes(v.Round, v.Type).Add(v, power, out _);
        // One piece of evidence per (validator, round, type) of a height: replayed conflicting votes must not grow memory.
        if (earlier is not null && _evidenceKeys.Add((v.Validator, v.Round, v.Type)))
        {
            _logger.LogWarning("equivocation by {Validator}: {First} and {Second}", v.Validator, earlier, v);
            var evidence = new EquivocationEvidence(earlier, v);
            if (_evidence.Count >= IntakeBounds.MaxEvidence) _evidence.RemoveAt(0);
            _evidence.Add(evidence);
            EquivocationDetected?.Invoke(evidence);
        }

        _log.NoteSender(v.Round, v.Validator, power);
    }

    /// <summary>A proposal or vote of a future height (its sender is its signer): kept for replay if it is within the
    /// window, its sender is a validator with room in its share, it is new, and it is authentic — checked in that order.
    /// Either way the sender is evidently ahead: catch up if that lasts.</summary>
    private void Buffer(PublicKey from, ulong height, int round, byte kind, ConsensusEvent e, bool verified)
    {
        // Members of this height's or the next one's set (both fixed by now); a validator joining later is heard once
        // this node gets there: everything is re-broadcast.
        if (!_validators.Contains(from) && !_nextValidators.Contains(from))
        {
            Drop(from, DropReason.NotValidator, $"message of height {height} by a key outside the validator set");
            return;
        }

        NoteAhead(from, height);
        Window.Shown(from, height - 1); // it works at that height: it holds the blocks before it
        if (height > Height + IntakeBounds.FutureHeights || round > _options.MaxRoundLookahead)
        {
            Drop(from, DropReason.OutOfWindow, $"height {height} round {round}, this node is at height {Height}");
            return;
        }

        if (_future.Contains(from, height, round, kind))
        {
            Drop(from, DropReason.Duplicate, "future message already held");
            return;
        }

        if (!_future.HasRoom(from, kind == ProposalKind))
        {
            Drop(from, DropReason.BufferFull, $"{_future.CountOf(from)} future messages held from this peer");
            return;
        }

        if (!verified)
        {
            switch (e)
            {
                case ProposalReceived p when !Authentic(from, p.Proposal):
                    return;
                case VoteReceived v:
                    if (Struck(from)) return;
                    Intake.CountSignatureCheck();
                    if (v.Vote.VerifySignature(_options.ChainId)) break;
                    Strike(from, DropReason.BadSignature, "vote signature does not verify");
                    return;
            }
        }

        _future.Add(from, height, round, kind, e);
    }

    /// <summary>A validator sends messages of a later height: two or more ahead, ask it for the block we miss now; one
    /// ahead is normal for a few ms (it saw the precommits first), so ask only if it lasts.</summary>
    private void NoteAhead(PublicKey from, ulong height)
    {
        if (height > Height + 1)
        {
            RequestBlock(from);
        }
        else if (!_catchUpScheduled)
        {
            _catchUpScheduled = true;
            Schedule(TimeoutKind.CatchUp, 0, _options.CatchUpDelay);
        }
    }

    private void RequestBlock(PublicKey peer)
    {
        if (_requested.TryGetValue(peer, out var last) && last.Height == Height && _time.GetUtcNow() - last.At < _options.CatchUpDelay) return;
        if (_requested.Count >= IntakeBounds.MaxTrackedPeers) _requested.Clear();
        _requested[peer] = (Height, _time.GetUtcNow());
        _catchUp?.CountSent(peer, _time.GetUtcNow(), _options.CatchUpDelay);
        _out.Add(new SendAction(peer, ConsensusMessage.EncodeRequest(Height)));
    }

    /// <summary>After entering a height: what was held for it is handled now (already checked, so not verified again),
    /// what is for a later height is held again.</summary>
    private void ReplayBuffered()
    {
        if (_future.Count == 0) return;
        foreach (var e in _future.TakeAll())
        {
            switch (e)
            {
                case ProposalReceived p when p.Proposal.Height >= Height: OnProposal(p.From, p.Proposal, verified: true, p.Justification); break;
                case VoteReceived v when v.Vote.Height >= Height: OnVote(v.From, v.Vote, verified: true, v.Justification); break;
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
            if (_stale.Count >= IntakeBounds.MaxTrackedPeers) _stale.Clear();
            _stale[peer] = (height, now);
            return;
        }

        if (now - first.At >= _options.CatchUpDelay) ServeBlock(peer, height);
    }

    /// <summary>Catch-up, serving side: a peer behind gets our committed block and certificate; a peer at our height (it
    /// asks for the block it is deciding, e.g. just restarted, having missed the proposal and the votes) gets what this
    /// node signed at this height — the proposal of the current round and its votes, which the peer would otherwise see
    /// only at the next re-broadcast (only the signer's own messages: intake accepts no relayed ones). Both within the
    /// peer's serving budget by count and bytes per catch-up delay (a budget spent by a large block waits for the next
    /// window), so a peer's requests cannot make this node serve without bound.</summary>
    private void ServeBlock(PublicKey peer, ulong height)
    {
        if (height == 0 || height > Height) return;
        var now = _time.GetUtcNow();
        if (_served.TryGetValue(peer, out var last) && last.Height == height && now - last.At < _options.CatchUpDelay) return;
        if (!_serving.TryGetValue(peer, out var window) || now - window.Since >= _options.CatchUpDelay) window = (now, 0, 0);
        var byteBudget = IntakeBounds.ServedLargestMessagesPerPeerPerCatchUpDelay * IntakeBounds.MaxMessageBytes(Limits);
        if (window.Count >= IntakeBounds.ServedBlocksPerPeerPerCatchUpDelay || window.Bytes >= byteBudget)
        {
            Drop(peer, DropReason.RateLimited, $"{window.Count} blocks ({window.Bytes} bytes) served to this peer within the catch-up delay");
            return;
        }

        var messages = new List<byte[]>();
        if (height < Height)
        {
            if (!_app.TryGetCommitted(height, out var block, out var certificate)) return;
            messages.Add(ConsensusMessage.Encode(block, certificate));
        }
        else
        {
            if (_signedProposals.TryGetValue(Round, out var proposal)) messages.Add(EncodeProposal(proposal));
            foreach (var v in _signedVotes.Values) messages.Add(EncodeVote(v));
            if (messages.Count == 0) return; // nothing signed here yet: nothing to tell, nothing spent
        }

        if (_serving.Count >= IntakeBounds.MaxTrackedPeers) _serving.Clear();
        _serving[peer] = (window.Since, window.Count + 1, window.Bytes + messages.Sum(m => m.LongLength));
        if (_served.Count >= IntakeBounds.MaxTrackedPeers) _served.Clear();
        _served[peer] = (height, now);
        foreach (var m in messages) _out.Add(new SendAction(peer, m));
    }

    /// <summary>Catch-up, receiving side: a block of our current height whose certificate verifies against the validator
    /// set in force at that height, and whose transactions are the ones its header commits to, is executed (its state
    /// root must match) and committed; then the next block is asked of the same peer at once, so a node far behind
    /// catches up block after block without waiting. Responses need not have been asked for (a peer serves one it sees
    /// lagging), so each peer gets a few certificate checks per height and no more.</summary>
    private void OnBlockFetched(PublicKey from, Block block, CommitCertificate certificate)
    {
        if (block.Height != Height || certificate.Height != Height)
        {
            // A block this node has committed, sent late by a peer that is not a source yet: it holds the chain this far,
            // proven by the block's hash; ask it too (a block of a later height proves nothing until its height comes).
            if (block.Height < Height && !Window.IsSource(from) && _app.TryGetCommitted(block.Height, out var mine, out _) && mine.Hash == block.Hash)
            {
                Window.Shown(from, block.Height);
                AskAhead();
            }

            // A later block this node asked that peer for is held until its height comes (checked then).
            if (block.Height > Height && HoldAhead(from, block, certificate)) return;
            Drop(from, DropReason.OutOfWindow, $"block response for height {block.Height}, this node is at {Height}");
            // A later block (pushed to an observer after its commit, or an answer that overtook) says the peer is ahead:
            // ask it for the block of this height (at most once per peer, height and catch-up delay; a request is cheap,
            // and what comes back is checked like any response).
            if (block.Height > Height) RequestBlock(from);
            return;
        }

        var checkedSoFar = _responses.GetValueOrDefault(from);
        if (checkedSoFar >= IntakeBounds.ResponsesPerPeerPerHeight)
        {
            Drop(from, DropReason.TooManyResponses, $"{checkedSoFar} block responses for height {Height} already checked");
            return;
        }

        if (_responses.Count >= IntakeBounds.MaxTrackedPeers) _responses.Clear();
        _responses[from] = checkedSoFar + 1;
        Intake.CountSignatureCheck();
        if (!certificate.Verify(_validators, _options.ChainId, block.Hash, out var error))
        {
            Drop(from, DropReason.BadCertificate, error);
            return;
        }

        if (!block.TransactionRootMatches())
        {
            Strike(from, DropReason.TamperedBlock, "block response transactions do not match the header's transaction root");
            return;
        }

        if (!IsValid(block, certified: true))
        {
            // 2f+1 signed a block we cannot reproduce: our state diverged, or more than f are faulty. Stop here, loudly.
            _logger.LogError("certified block {Hash} at height {Height} does not execute to its state root here", block.Hash, Height);
            return;
        }

        NoteTaken(from, block.Height);
        Window.Shown(from, block.Height); // it served a block that passed every check: a source to ask
        Decide(block, certificate, fetched: true);
        // The next heights: this one held already (taken next, TakeHeldNext) or asked of a source within its budget
        // (or once a budget opens), the ones after it too; should no source be there to ask, this peer, as before.
        AskAhead();
        if (!Window.Holds(Height) && !Window.IsAsked(Height, out _) && !_askScheduled) RequestBlock(from);
    }
}
