using Dkms.Core.Blocks;
using Dkms.Core.Crypto;
using Dkms.Core.Primitives;
using Microsoft.Extensions.Logging;

namespace Dkms.Consensus;

/// <summary>
/// The Tendermint algorithm (Buchman, Kwon, Milosevic 2018, "The latest gossip on BFT consensus",
/// Algorithm 1) for one validator. Single-threaded and synchronous: <see cref="Handle"/> takes an event
/// and returns the actions to carry out; the application and the store are called inline, so a driver
/// can run many validators deterministically on one thread. Line numbers below are the paper's.
/// </summary>
public sealed partial class ConsensusStateMachine
{
    private readonly ConsensusOptions _options;
    private readonly ISigner _signer;
    private readonly IConsensusApplication _app;
    private readonly IConsensusStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly List<EquivocationEvidence> _evidence = new();
    private List<ConsensusAction> _out = new();

    // Per-height state (reset by EnterHeight, lines 2-10 and 54).
    private HeightLog _log = new();
    private ValidatorSet _validators = null!;
    private ValidatorSet _nextValidators = null!; // of Height + 1, already fixed (changes take effect two heights later)
    private ChainTip _tip;
    private Block? _lockedBlock;
    private int _lockedRound = -1;
    private Block? _validBlock;
    private int _validRound = -1;
    private bool _waitingForTransactions;
    private bool _batchWindow;
    private bool _startDeferred;   // round 0 waits for the StartHeight timeout (see DecidedThisEvent)
    private bool _deferredAfterIdle;
    // Heights decided while handling the current event. The first one enters the next height at once (the common case:
    // one decision per event); a second one, in the same call, defers the start of the height it enters to a
    // zero-delay timeout, so a validator that decides alone (more than 2/3 of the power) returns to its event queue
    // between heights instead of recursing height after height.
    private int _decidedThisEvent;
    private int _transferCap = int.MaxValue; // the byte cap the last block this node built was built under
    private Block? _built; // the block this validator built at this height: its root and execution are already known
    private readonly Dictionary<Hash32, bool> _validity = new();
    private readonly Dictionary<(int Round, VoteType Type), Vote> _signedVotes = new();
    private readonly Dictionary<int, Proposal> _signedProposals = new();
    private readonly HashSet<int> _prevoteTimeoutScheduled = new();   // line 34 "for the first time"
    private readonly HashSet<int> _precommitTimeoutScheduled = new(); // line 47 "for the first time"
    private readonly HashSet<int> _line36Done = new();                // line 36 "for the first time"
    private readonly HashSet<PublicKey> _unreachable = new();         // validators whose session closed (not reset per height)

    public ConsensusStateMachine(ConsensusOptions options, ISigner signer, IConsensusApplication app, IConsensusStore store,
        TimeProvider time, ILogger logger)
    {
        _options = options;
        _signer = signer;
        _app = app;
        _store = store;
        _time = time;
        _logger = logger;
        Intake = new IntakeStats(time, DropLogInterval);
        Pace = new ExecutionPace(time);
        Transfer = new TransferPace(time);
    }

    private static readonly TimeSpan DropLogInterval = TimeSpan.FromSeconds(10);

    /// <summary>Messages dropped at intake, per peer and reason (thread-safe).</summary>
    public IntakeStats Intake { get; }

    /// <summary>The chain's block validity limits (also what decoding allows).</summary>
    public BlockLimits Limits => _options.Limits;

    internal ILogger Logger => _logger;

    /// <summary>Raised on the loop thread for each new equivocation (one per validator, round and vote type of a height).</summary>
    public event Action<EquivocationEvidence>? EquivocationDetected;

    public ulong Height { get; private set; }
    public int Round { get; private set; }
    public Step Step { get; private set; }
    public PublicKey Key => _signer.PublicKey;
    public bool IsWaitingForTransactions => _waitingForTransactions;

    /// <summary>The application has transactions that could go into a block now (loop thread).</summary>
    public bool HasReadyTransactions => _app.HasPendingTransactions;

    /// <summary>This node's measured execution time per transaction, which caps the blocks it proposes.</summary>
    public ExecutionPace Pace { get; }

    /// <summary>The measured rate at which this node's proposals reach a quorum, which caps the bytes of the blocks it
    /// proposes once one of them missed its round.</summary>
    public TransferPace Transfer { get; }

    /// <summary>Conflicting vote pairs seen and not yet taken (equivocation evidence; the latest
    /// <see cref="IntakeBounds.MaxEvidence"/>).</summary>
    public IReadOnlyList<EquivocationEvidence> Evidence => _evidence;

    /// <summary>Hands over the evidence held and forgets it (it has been reported).</summary>
    public IReadOnlyList<EquivocationEvidence> TakeEvidence()
    {
        var taken = _evidence.ToArray();
        _evidence.Clear();
        return taken;
    }

    /// <summary>Starts (or resumes after a crash) at the height after the application's last committed block.</summary>
    public IReadOnlyList<ConsensusAction> Start()
    {
        PersistedState? persisted;
        try
        {
            persisted = _store.Load();
        }
        catch (Exception e)
        {
            throw new ConsensusStorageException("loading the consensus record failed", e);
        }

        _decidedThisEvent = 0;
        var next = _app.Tip.Height + 1;
        if (persisted is not null && persisted.Height == next)
        {
            EnterHeight(next, resume: persisted);
        }
        else
        {
            EnterHeight(next, resume: null);
        }

        // A validator starting (typically after being down) may have missed this height's proposal and votes, which the
        // others re-send only every RebroadcastInterval: asking for the block of its height gets it, from each peer, the
        // block if that peer is past it, or else what that peer signed at this height (ServeBlock).
        AnnounceHeight(peer: null);
        return Flush();
    }

    public IReadOnlyList<ConsensusAction> Handle(ConsensusEvent e)
    {
        _decidedThisEvent = 0;
        // Whatever a peer sends shows its session is up again.
        if (_unreachable.Count > 0)
        {
            switch (e)
            {
                case ProposalReceived m: _unreachable.Remove(m.From); break;
                case VoteReceived m: _unreachable.Remove(m.From); break;
                case BlockRequested m: _unreachable.Remove(m.From); break;
            }
        }

        if (Hold is { Released: false } hold)
        {
            switch (e)
            {
                case ProposalReceived m: hold.Seen(m.Proposal.Height); break;
                case VoteReceived m: hold.Seen(m.Vote.Height); break;
                case BlockFetched m: hold.Seen(m.Block.Height); break;
            }
        }

        switch (e)
        {
            case ProposalReceived p: OnProposal(p.From, p.Proposal, justification: p.Justification); break;
            case VoteReceived v: OnVote(v.From, v.Vote, justification: v.Justification); break;
            case TimeoutFired t: OnTimeout(t.Timeout); break;
            case BlockFetched b: OnBlockFetched(b.From, b.Block, b.Certificate); break;
            case BlockRequested r: ServeBlock(r.From, r.Height); break;
            case TransactionsAvailable: OnTransactionsAvailable(); break;
            case PeerConnected c:
                _unreachable.Remove(c.Peer);
                AnnounceHeight(c.Peer);
                break;
            case PeerDisconnected d: OnPeerDisconnected(d.Peer); break;
        }

        return Flush();
    }

    /// <summary>Asks <paramref name="peer"/> (all peers when null) for the block of this node's height: the answer is
    /// that block with its certificate, or the peer's own proposal and votes of this height. Sent at start and to a peer
    /// whose session (re)opens — at start the sessions are not up yet, so the broadcast alone reaches nobody.</summary>
    private void AnnounceHeight(PublicKey? peer)
    {
        var request = ConsensusMessage.EncodeRequest(Height);
        _out.Add(peer is { } p ? new SendAction(p, request) : new BroadcastAction(request));
    }

    private IReadOnlyList<ConsensusAction> Flush()
    {
        var o = _out;
        _out = new List<ConsensusAction>();
        return o;
    }

    /// <summary>A member of this height's set that may sign here (not held back by <see cref="Hold"/>).</summary>
    private bool IsValidator => !NeverSigns && _validators.Contains(_signer.PublicKey) && (Hold is null || Hold.MaySign(Height));

    /// <summary>An observer's machine (docs/node.md, "Observers"): it follows the chain and never signs, even should its
    /// key be named in a validator set.</summary>
    public bool NeverSigns { get; init; }

    /// <summary>Set before <see cref="Start"/> when the consensus record may be older than what this validator signed
    /// (a restored or rebuilt data directory): it follows without signing until the hold's rule lets it.</summary>
    public SigningHold? Hold { get; set; }

    /// <summary>Lines 10 and 54: reset the per-height variables and start round 0, unless an idle chain waits for transactions.</summary>
    private void EnterHeight(ulong height, PersistedState? resume)
    {
        Height = height;
        _tip = _app.Tip;
        _validators = _app.ValidatorSetAt(height);
        _nextValidators = _app.ValidatorSetAt(height + 1);
        _log = new HeightLog();
        _validity.Clear();
        _signedVotes.Clear();
        _signedProposals.Clear();
        _prevoteTimeoutScheduled.Clear();
        _precommitTimeoutScheduled.Clear();
        _line36Done.Clear();
        _lockedBlock = null;
        _lockedRound = -1;
        _validBlock = null;
        _validRound = -1;
        _built = null;
        _catchUpScheduled = false;
        _startDeferred = false;
        _served.Clear();
        _responses.Clear();
        _strikes.Clear();
        _evidenceKeys.Clear();
        TakeHeldNext();

        if (resume is not null)
        {
            // Crash recovery: restore the lock and everything signed, re-enter the round we were in.
            _lockedBlock = resume.LockedBlock;
            _lockedRound = resume.LockedRound;
            _validBlock = resume.ValidBlock ?? (resume.ValidRound >= 0 && resume.ValidRound == resume.LockedRound ? resume.LockedBlock : null);
            _validRound = resume.ValidRound;
            foreach (var v in resume.SignedVotes)
            {
                _signedVotes[(v.Round, v.Type)] = v;
                AddVote(v);
            }

            foreach (var p in resume.SignedProposals)
            {
                _signedProposals[p.Round] = p;
                AcceptProposal(p);
            }

            _logger.LogInformation("resuming height {Height} round {Round} step {Step}", height, resume.Round, resume.Step);
            _waitingForTransactions = false;
            Schedule(TimeoutKind.Rebroadcast, 0, TimeSpan.Zero);
            StartRound(resume.Round);
        }
        else
        {
            _waitingForTransactions = !_options.CreateEmptyBlocks && !_app.HasPendingTransactions;
            // Also while idle: the rebroadcast tick is what tells peers this node's height (see Rebroadcast).
            Schedule(TimeoutKind.Rebroadcast, 0, _options.RebroadcastInterval);
            if (_waitingForTransactions && _options.IdleBlockInterval > TimeSpan.Zero) Schedule(TimeoutKind.IdleBlock, 0, _options.IdleBlockInterval);
            // Empty blocks by configuration keep the window: it is what paces an idle chain.
            if (!_waitingForTransactions)
            {
                var afterIdle = !_app.HasPendingTransactions;
                if (_decidedThisEvent > 1)
                {
                    _startDeferred = true;
                    _deferredAfterIdle = afterIdle;
                    Schedule(TimeoutKind.StartHeight, 0, TimeSpan.Zero);
                }
                else
                {
                    BeginFirstRound(afterIdle);
                }
            }
        }

        ReplayBuffered();
        Evaluate();
    }

    /// <summary>Starts round 0. <paramref name="afterIdle"/>: the height waited for transactions, so the proposer
    /// opens a batching window (transactions arriving together share a block); a height entered with transactions
    /// already pending (a busy chain: they gathered during the previous height) is proposed at once, because
    /// waiting would only add to every transaction's latency.</summary>
    private void BeginFirstRound(bool afterIdle = true)
    {
        _waitingForTransactions = false;
        _startDeferred = false;
        _batchWindow = afterIdle;
        StartRound(0);
    }

    private void OnTransactionsAvailable()
    {
        // The event may announce transactions that cannot go into a block yet (waiting for a predecessor).
        if (!_waitingForTransactions || !_app.HasPendingTransactions) return;
        BeginFirstRound();
        Evaluate();
    }

    /// <summary>A message of this height came while round 0 had not started (waiting for transactions, or deferred
    /// after a decision): the others have started this height, so this node starts it too.</summary>
    private void StartHeightIfNotStarted()
    {
        if (_waitingForTransactions) BeginFirstRound();
        else if (_startDeferred) BeginFirstRound(_deferredAfterIdle);
    }

    /// <summary>StartRound, lines 11-21.</summary>
    private void StartRound(int round)
    {
        TrackTransfer();
        Round = round;
        Step = Step.Propose;
        if (IsValidator && _validators.Proposer(Height, round) == _signer.PublicKey)
        {
            if (_signedProposals.TryGetValue(round, out var signed))
            {
                _out.Add(new BroadcastAction(EncodeProposal(signed))); // after a restart: the same proposal again
            }
            else if (_validBlock is not null)
            {
                Propose(round, _validBlock, _validRound); // lines 15-16: re-propose the valid value
            }
            else
            {
                // Line 18 getValue(): on a chain that was idle, after a short batching window so that transactions
                // arriving together share a block; otherwise now.
                if (round == 0 && _batchWindow && _options.BatchDelay > TimeSpan.Zero) Schedule(TimeoutKind.ProposeBatch, round, _options.BatchDelay);
                else Propose(round, BuildBlock(round), -1);
            }
        }
        else
        {
            // Line 21. A proposer whose session is down cannot deliver a proposal: prevote nil now (what the timeout would
            // do later; nil is always safe to prevote).
            var proposer = _validators.Proposer(Height, round);
            Schedule(TimeoutKind.Propose, round, _unreachable.Contains(proposer) ? TimeSpan.Zero : _options.ProposeTimeout(round));
        }
    }

    /// <summary>The session with <paramref name="peer"/> closed. If it proposes the current round and its proposal has
    /// not come, the propose timeout is not waited for.</summary>
    private void OnPeerDisconnected(PublicKey peer)
    {
        if (_validators is null || (!_validators.Contains(peer) && !_nextValidators.Contains(peer))) return;
        if (_unreachable.Count >= IntakeBounds.MaxTrackedPeers) _unreachable.Clear();
        _unreachable.Add(peer);
        if (Step == Step.Propose && !_waitingForTransactions && !_startDeferred && _validators.Proposer(Height, Round) == peer && !_log.Proposals.ContainsKey(Round))
        {
            Schedule(TimeoutKind.Propose, Round, TimeSpan.Zero);
        }
    }

    private void Propose(int round, Block block, int validRound)
    {
        if (!IsValidator) return;
        var proposal = Proposal.Create(_signer, _options.ChainId, Height, round, validRound, block);
        _signedProposals[round] = proposal;
        Persist(); // before it leaves the node
        var encoded = EncodeProposal(proposal);
        _out.Add(new BroadcastAction(encoded)); // line 19
        Transfer.OnSent(Height, round, block.Hash, encoded.Length, _transferCap, _options.ProposeTransferMinBytes);
        AcceptProposal(proposal);
    }

    /// <summary>A proposal as it is sent: a re-proposal (valid round vr ≥ 0) with the prevotes of vr for its block held
    /// here, so that every validator can check line 28 (<see cref="ConsensusMessage.Justification"/>).</summary>
    private byte[] EncodeProposal(Proposal p) =>
        ConsensusMessage.Encode(p, p.ValidRound >= 0 ? _log.Votes(p.ValidRound, VoteType.Prevote).For(p.Block.Hash).ToArray() : null);

    /// <summary>getValue(): a fresh block from the application's batch.</summary>
    private Block BuildBlock(int round)
    {
        // Monotonic timestamps: never at or before the parent's, whatever the local clock says.
        var ts = Math.Max(_time.GetUtcNow().ToUnixTimeMilliseconds(), _tip.TimestampMs + 1);
        // At most what the measured pace builds within the share of this round's propose timeout: a block the validators
        // receive after their timeout gets nil prevotes (ExecutionPace).
        var limit = Pace.Cap(_options.ProposeTimeout(round), _options.ProposeExecutionShare,
            Math.Min(_options.MaxBlockTransactions, _options.Limits.MaxTransactions));
        // And at most the bytes the measured transfer rate carries within its share of the timeout (TransferPace).
        var maxBytes = (int)Math.Min(_options.MaxBlockBytes, _options.Limits.MaxBytes);
        _transferCap = Transfer.Cap(_options.ProposeTimeout(round), _options.ProposeTransferShare, _options.ProposeTransferMinBytes, maxBytes);
        var start = _time.GetTimestamp();
        var txs = _app.SelectTransactions(Height, ts, limit, _transferCap);
        var result = _app.Execute(Height, ts, txs);
        if (txs.Count > 0) Pace.Add(txs.Count, _time.GetElapsedTime(start)); // selection may execute too: both count
        if (!result.Accepted)
        {
            _logger.LogWarning("own batch rejected at height {Height} ({Error}); proposing an empty block", Height, result.Error);
            txs = Array.Empty<byte[]>();
            result = _app.Execute(Height, ts, txs);
        }

        var header = new BlockHeader(_options.ChainId, Height, round, _tip.BlockHash, Block.ComputeTransactionRoot(txs),
            result.StateRoot, _signer.PublicKey, ts);
        _built = new Block(header, txs);
        return _built;
    }

    /// <summary>valid(v): well formed, extends our chain, proposed by the right validator, timestamp monotonic and
    /// not too far ahead of our clock, and re-execution yields the state root the header claims. Only verdicts about the
    /// header and the transactions it commits to are cached by its hash; the clock check is made each time (a block
    /// early now is fine a moment later), and is skipped for a certified block (2f+1 accepted its time).</summary>
    private bool IsValid(Block b, bool certified = false)
    {
        if (!certified && b.Header.TimestampMs > (_time.GetUtcNow() + _options.MaxClockDrift).ToUnixTimeMilliseconds())
        {
            _logger.LogInformation("block {Hash} at height {Height} is not valid yet: timestamp too far in the future", b.Hash, Height);
            return false;
        }

        if (_validity.TryGetValue(b.Hash, out var known)) return known;
        if (!ReferenceEquals(b, _built) && !b.TransactionRootMatches())
        {
            // Intake keeps such blocks out; were one here, the verdict would be about its carrier, not its header.
            _logger.LogWarning("block {Hash} at height {Height} carries transactions its header does not commit to", b.Hash, Height);
            return false;
        }

        var ok = CheckValid(b, out var why);
        if (!ok) _logger.LogInformation("block {Hash} at height {Height} is invalid: {Why}", b.Hash, Height, why);
        _validity[b.Hash] = ok;
        return ok;
    }

    /// <summary>The content checks of <see cref="IsValid"/>, for a block whose transactions match its header.</summary>
    private bool CheckValid(Block b, out string why)
    {
        var h = b.Header;
        why = "";
        if (h.ChainId != _options.ChainId) why = "wrong chain";
        else if (h.Height != Height) why = "wrong height";
        else if (h.PreviousHash != _tip.BlockHash) why = "does not extend our last block";
        else if (h.Round < 0 || _validators.Proposer(Height, h.Round) != h.Proposer) why = "wrong proposer";
        else if (h.TimestampMs <= _tip.TimestampMs) why = "timestamp not after the parent's";
        else if (b.Transactions.Count > _options.Limits.MaxTransactions || b.TransactionBytes > _options.Limits.MaxBytes) why = "too large";
        if (why.Length > 0 || ReferenceEquals(b, _built)) return why.Length == 0; // our own block: state root computed in BuildBlock

        var result = Pace.Time(b.Transactions.Count, () => _app.Execute(Height, h.TimestampMs, b.Transactions));
        if (!result.Accepted) why = "rejected: " + result.Error;
        else if (result.StateRoot != h.StateRoot) why = "state root mismatch";
        return why.Length == 0;
    }

    private void Schedule(TimeoutKind kind, int round, TimeSpan delay) =>
        _out.Add(new ScheduleTimeoutAction(new ConsensusTimeout(kind, Height, round), delay));

    /// <summary>Saves the crash-safety record. The valid value set in the same round as the lock is the locked block
    /// (lines 38 and 42 of one firing of line 36), so it is written once, as the locked block.</summary>
    private void Persist()
    {
        var state = new PersistedState(Height, Round, Step, _lockedRound, _lockedBlock, _validRound,
            _validRound >= 0 && _validRound == _lockedRound && ReferenceEquals(_validBlock, _lockedBlock) ? null : _validBlock,
            _signedVotes.Values.ToArray(), _signedProposals.Values.ToArray());
        try
        {
            _store.Save(state);
        }
        catch (Exception e)
        {
            throw new ConsensusStorageException("saving the consensus record failed", e);
        }
    }

    /// <summary>Signs and broadcasts a vote — or, if this (round, type) was already signed (before a crash),
    /// re-sends that same vote: a validator never signs two different votes for one height, round and step.</summary>
    private void CastVote(VoteType type, Hash32 blockHash)
    {
        if (!IsValidator) return;
        if (!_signedVotes.TryGetValue((Round, type), out var vote))
        {
            vote = Vote.Create(_signer, _options.ChainId, type, Height, Round, blockHash);
            _signedVotes[(Round, type)] = vote;
            Persist(); // before it leaves the node
        }

        _out.Add(new BroadcastAction(EncodeVote(vote)));
        AddVote(vote);
    }

    /// <summary>A vote as it is sent: one of the current round r ≥ 1 with the precommits of round r − 1 held here — what
    /// took this node out of that round — so that a validator still waiting there for precommits it was never shown
    /// can follow (<see cref="ConsensusMessage.Justification"/>). Votes of earlier rounds travel alone: only the round a
    /// node is in needs justifying, and re-sending every round's justification would grow with the rounds.</summary>
    private byte[] EncodeVote(Vote v) =>
        ConsensusMessage.Encode(v, v.Round > 0 && v.Round == Round ? _log.Votes(v.Round - 1, VoteType.Precommit).All.ToArray() : null);
}
