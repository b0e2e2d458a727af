using Dkms.Core.Blocks;
using Dkms.Core.Primitives;
using Microsoft.Extensions.Logging;

namespace Dkms.Consensus;

/// <summary>The upon-rules of Algorithm 1, re-evaluated after every input until none fires.</summary>
public sealed partial class ConsensusStateMachine
{
    private void Evaluate()
    {
        TrackTransfer();
        var height = Height;
        var fired = true;
        while (fired && !_waitingForTransactions && !_startDeferred && height == Height)
        {
            fired = TryDecide() || TrySkipRound() || TryPrevoteOnProposal() || TryLockOrUpdateValid() || TryPrecommitNil()
                    || TryLeaveLostRound();
            ScheduleVoteTimeouts();
        }
    }

    /// <summary>Lines 49-54: PROPOSAL(h, r, v, *) and 2f+1 PRECOMMIT(h, r, id(v)) in any round r, valid(v): decide v.</summary>
    private bool TryDecide()
    {
        foreach (var round in _log.PrecommitRounds.ToArray())
        {
            var votes = _log.Votes(round, VoteType.Precommit);
            foreach (var (hash, power) in votes.Tallies)
            {
                if (hash.IsZero || power < _validators.QuorumPower) continue;
                if (!_log.Blocks.TryGetValue(hash, out var block) || !IsValid(block)) continue;
                var certificate = CommitCertificate.FromPrecommits(Height, round, hash, votes.For(hash));
                Decide(block, certificate);
                return true;
            }
        }

        return false;
    }

    /// <summary>Outcome of this node's last proposal for <see cref="TransferPace"/>: arrived once a quorum prevoted its
    /// block, missed once its round or height is left without that.</summary>
    private void TrackTransfer()
    {
        if (Transfer.Pending is not { } p) return;
        if (p.Height == Height && _log.Votes(p.Round, VoteType.Prevote).PowerFor(p.Block) >= _validators.QuorumPower) Transfer.OnArrived();
        else if (p.Height != Height || p.Round != Round) Transfer.OnMissed();
    }

    /// <summary>Line 55: f+1 messages of a round above ours: join that round (line 56).</summary>
    private bool TrySkipRound()
    {
        var target = -1;
        foreach (var (round, power) in _log.SenderPower)
        {
            if (round > Round && power >= _validators.OneThirdPlusPower && round > target) target = round;
        }

        if (target < 0) return false;
        StartRound(target);
        return true;
    }

    /// <summary>Lines 22-27 (fresh proposal, vr = -1) and lines 28-33 (re-proposal with a 2f+1 prevote quorum in vr).</summary>
    private bool TryPrevoteOnProposal()
    {
        if (Step != Step.Propose || !_log.Proposals.TryGetValue(Round, out var p)) return false;
        var v = p.Block;
        if (p.ValidRound == -1)
        {
            // Line 23: valid(v) ∧ (lockedRound = -1 ∨ lockedValue = v).
            var ok = IsValid(v) && (_lockedRound == -1 || _lockedBlock?.Hash == v.Hash);
            CastVote(VoteType.Prevote, ok ? v.Hash : Hash32.Zero); // lines 24 / 26
        }
        else if (p.ValidRound >= 0 && p.ValidRound < Round
                 && _log.Votes(p.ValidRound, VoteType.Prevote).PowerFor(v.Hash) >= _validators.QuorumPower)
        {
            // Line 29: valid(v) ∧ (lockedRound ≤ vr ∨ lockedValue = v).
            var ok = IsValid(v) && (_lockedRound <= p.ValidRound || _lockedBlock?.Hash == v.Hash);
            CastVote(VoteType.Prevote, ok ? v.Hash : Hash32.Zero); // lines 30 / 32
        }
        else
        {
            return false;
        }

        Step = Step.Prevote; // lines 27 / 33
        return true;
    }

    /// <summary>Lines 36-43: PROPOSAL(h, round, v, *) and 2f+1 PREVOTE(h, round, id(v)), valid(v), step ≥ prevote,
    /// for the first time: if in prevote, lock v and precommit it; in any case remember v as the valid value.</summary>
    private bool TryLockOrUpdateValid()
    {
        if (Step < Step.Prevote || _line36Done.Contains(Round) || !_log.Proposals.TryGetValue(Round, out var p)) return false;
        var v = p.Block;
        if (_log.Votes(Round, VoteType.Prevote).PowerFor(v.Hash) < _validators.QuorumPower || !IsValid(v)) return false;
        _line36Done.Add(Round);
        var wasPrevote = Step == Step.Prevote;
        if (wasPrevote)
        {
            _lockedBlock = v;      // line 38
            _lockedRound = Round;  // line 39
        }

        _validBlock = v;       // line 42
        _validRound = Round;   // line 43
        if (wasPrevote)
        {
            CastVote(VoteType.Precommit, v.Hash); // line 40 (persists the new lock with the vote)
            Step = Step.Precommit;                 // line 41
        }
        else
        {
            Persist();
        }

        return true;
    }

    /// <summary>Lines 44-46: 2f+1 PREVOTE(h, round, nil) while in prevote: precommit nil.</summary>
    private bool TryPrecommitNil()
    {
        if (Step != Step.Prevote || _log.Votes(Round, VoteType.Prevote).PowerFor(Hash32.Zero) < _validators.QuorumPower) return false;
        CastVote(VoteType.Precommit, Hash32.Zero);
        Step = Step.Precommit;
        return true;
    }

    /// <summary>
    /// Outside the paper, a shortcut past timeouts that cannot help: once 2f+1 votes of the current round are in and
    /// no value can reach 2f+1 of that type any more (its votes plus the power not yet heard from stay below the
    /// quorum; e.g. more than 1/3 voted nil), waiting changes nothing in this node's view. So
    /// - prevotes of the round: precommit nil now (what <c>OnTimeoutPrevote</c>, lines 61-64, would do later);
    /// - precommits of the round: start the next round now (what <c>OnTimeoutPrecommit</c>, lines 65-67, would do).
    /// Safety: precommitting nil and changing rounds are never what the safety argument restricts — it rests on a
    /// validator precommitting at most one value per round and on the lock (lines 36-43, 29), and neither rule signs a
    /// value or touches the lock; line 36 still runs in step precommit (a later polka still sets the valid value), and
    /// line 49 decides in any round. Liveness: the timeouts exist to let a quorum that is still possible form; only
    /// the first vote of each validator counts (a second is evidence), so with the counted votes no quorum can form,
    /// and a timeout would only delay the next round. After a quorum was lost this is what lets a returning validator
    /// bring the chain through the lost rounds at message speed instead of timeout after timeout.
    /// </summary>
    private bool TryLeaveLostRound()
    {
        if (Step == Step.Prevote && RoundLost(_log.Votes(Round, VoteType.Prevote)))
        {
            CastVote(VoteType.Precommit, Hash32.Zero);
            Step = Step.Precommit;
            return true;
        }

        if (RoundLost(_log.Votes(Round, VoteType.Precommit)))
        {
            StartRound(Round + 1);
            return true;
        }

        return false;
    }

    /// <summary>2f+1 votes in, and no value (other than nil) can still get 2f+1 of them.</summary>
    private bool RoundLost(RoundVotes votes)
    {
        if (votes.TotalPower < _validators.QuorumPower) return false;
        var unheard = _validators.TotalPower - votes.TotalPower;
        foreach (var (hash, power) in votes.Tallies)
        {
            if (!hash.IsZero && power + unheard >= _validators.QuorumPower) return false;
        }

        return true;
    }

    /// <summary>Lines 34-35 and 47-48: the first time 2f+1 prevotes (in prevote) / precommits of any value are seen.</summary>
    private void ScheduleVoteTimeouts()
    {
        if (Step == Step.Prevote && _log.Votes(Round, VoteType.Prevote).TotalPower >= _validators.QuorumPower
            && _prevoteTimeoutScheduled.Add(Round))
        {
            Schedule(TimeoutKind.Prevote, Round, _options.PrevoteTimeout(Round));
        }

        if (_log.Votes(Round, VoteType.Precommit).TotalPower >= _validators.QuorumPower && _precommitTimeoutScheduled.Add(Round))
        {
            Schedule(TimeoutKind.Precommit, Round, _options.PrecommitTimeout(Round));
        }
    }

    private void OnTimeout(ConsensusTimeout t)
    {
        if (t.Height != Height) return;
        switch (t.Kind)
        {
            case TimeoutKind.Propose when t.Round == Round && Step == Step.Propose: // lines 57-60
                CastVote(VoteType.Prevote, Hash32.Zero);
                Step = Step.Prevote;
                break;
            case TimeoutKind.Prevote when t.Round == Round && Step == Step.Prevote: // lines 61-64
                CastVote(VoteType.Precommit, Hash32.Zero);
                Step = Step.Precommit;
                break;
            case TimeoutKind.Precommit when t.Round == Round: // lines 65-67
                StartRound(Round + 1);
                break;
            case TimeoutKind.ProposeBatch when t.Round == Round && Step == Step.Propose && !_signedProposals.ContainsKey(Round):
                Propose(Round, _validBlock ?? BuildBlock(Round), _validBlock is null ? -1 : _validRound);
                break;
            case TimeoutKind.Rebroadcast:
                // Also gives up requests ahead left unanswered, and asks those heights again.
                if (_catchUp is { AskedCount: > 0 }) AskAhead();
                Rebroadcast();
                Schedule(TimeoutKind.Rebroadcast, 0, _options.RebroadcastInterval);
                break;
            case TimeoutKind.IdleBlock when _waitingForTransactions:
                // Still nothing to commit: start the height anyway; the proposer proposes what it has (nothing).
                BeginFirstRound(afterIdle: false);
                break;
            case TimeoutKind.StartHeight when _startDeferred:
                BeginFirstRound(_deferredAfterIdle);
                break;
            case TimeoutKind.CatchUpNext:
                OnCatchUpNext();
                break;
            case TimeoutKind.CatchUpAsk:
                _askScheduled = false;
                AskAhead();
                break;
            case TimeoutKind.CatchUp:
                _catchUpScheduled = false;
                _out.Add(new BroadcastAction(ConsensusMessage.EncodeRequest(Height)));
                break;
        }

        Evaluate();
    }

    /// <summary>The paper assumes gossip eventually delivers every message between correct processes; over a
    /// lossy transport we approximate it by periodically re-sending what we signed at this height.</summary>
    private void Rebroadcast()
    {
        // With nothing signed at this height (an idle chain, or just restarted) nothing would tell peers where
        // this node is: a request for the block of this height serves as a beacon. A peer that has committed it
        // answers with the block (catch-up); one at the same height ignores it.
        if (_signedVotes.Count == 0 && _signedProposals.Count == 0) _out.Add(new BroadcastAction(ConsensusMessage.EncodeRequest(Height)));

        if (_options.RebroadcastProposal && _signedProposals.TryGetValue(Round, out var p)) _out.Add(new BroadcastAction(EncodeProposal(p)));
        // All rounds, not just the current one: a re-proposal in round r with validRound vr (line 28) needs
        // the prevotes of round vr, which a peer may have lost long ago.
        foreach (var v in _signedVotes.Values)
        {
            _out.Add(new BroadcastAction(EncodeVote(v)));
        }
    }

    /// <summary>Lines 49-54 outcome: commit through the application (one atomic write there), then the next height.</summary>
    private void Decide(Block block, CommitCertificate certificate, bool fetched = false)
    {
        // Decided from precommits received live: this node is at the chain's frontier (SigningHold).
        if (!fetched) Hold?.CommittedLive(block.Height);
        if (Transfer.Pending is { } sent && sent.Height == Height && sent.Block == block.Hash) Transfer.OnArrived();
        _decidedThisEvent++;
        try
        {
            _app.Commit(block, certificate);
        }
        catch (Exception e)
        {
            // Whether the block is stored is unknown: going on could sign against a state this node does not have.
            throw new ConsensusStorageException($"committing block {block.Height} failed", e);
        }

        _out.Add(new CommittedAction(block, certificate));
        if (_logger.IsEnabled(LogLevel.Debug))
        {
            _logger.LogDebug("committed height {Height} round {Round} block {Hash} with {Count} txs", Height, certificate.Round, block.Hash, block.Transactions.Count);
        }

        // No save here: the record still names the decided height, and a restart ignores a record below the
        // application's next height (Start), so it begins the new height fresh — exactly what a record of the new
        // height with nothing signed would give. The first signature of the new height saves it, as every
        // signature does. One synced write less per height, on the path every height waits for.
        EnterHeight(Height + 1, resume: null);
    }
}
