using Dkms.Core.Primitives;

namespace Dkms.Consensus;

/// <summary>Catch-up with several blocks in flight (<see cref="CatchUpWindow"/>, docs/consensus.md "Catch-up"): while a
/// node takes the block of its height, the next heights are already asked of its sources and their answers held; each
/// held block is checked like any catch-up response, in height order, when its height comes.</summary>
public sealed partial class ConsensusStateMachine
{
    private CatchUpWindow? _catchUp;

    private CatchUpWindow Window => _catchUp ??= new CatchUpWindow(IntakeBounds.CatchUpHeldLargestMessages * IntakeBounds.MaxMessageBytes(Limits));

    /// <summary>Blocks held for later heights (catch-up) and their estimated bytes.</summary>
    public int HeldBlocks => _catchUp?.HeldCount ?? 0;

    public long HeldBlockBytes => _catchUp?.HeldBytes ?? 0;

    /// <summary>Blocks taken that answered a request made ahead of their height, since start (held until their height
    /// came, or — answers of one peer arrive in order — taken on arrival; any thread).</summary>
    public long BlocksFetchedAhead => Interlocked.Read(ref _blocksFetchedAhead);

    private long _blocksFetchedAhead;

    /// <summary>Asks the sources for this height and the next ones that are neither held nor asked, within their request
    /// budgets; when a budget alone holds a request back, asks again once it opens.</summary>
    private void AskAhead()
    {
        var requests = Window.Fill(Height, _time.GetUtcNow(), _options.CatchUpDelay, out var retry);
        foreach (var (peer, height) in requests)
        {
            _out.Add(new SendAction(peer, ConsensusMessage.EncodeRequest(height)));
        }

        if (retry is { } delay && !_askScheduled)
        {
            _askScheduled = true;
            Schedule(TimeoutKind.CatchUpAsk, 0, delay);
        }
    }

    private bool _askScheduled; // a CatchUpAsk timeout is armed at this height

    /// <summary>A block of a later height: held if this node asked that peer for it and it fits; else dropped and counted.
    /// True if held.</summary>
    private bool HoldAhead(PublicKey from, Core.Blocks.Block block, Core.Blocks.CommitCertificate certificate)
    {
        if (Window.TryHold(from, block, certificate, out var reason))
        {
            AskAhead();
            return true;
        }

        if (reason == DropReason.BufferFull) Drop(from, reason, $"no room to hold the block of height {block.Height} until this node gets there");
        return false;
    }

    /// <summary>The block of this height was taken from <paramref name="from"/>: counted if it answered a request ahead.</summary>
    private void NoteTaken(PublicKey from, ulong height)
    {
        if (_catchUp?.Answered(height, from) == true) Interlocked.Increment(ref _blocksFetchedAhead);
    }

    /// <summary>The node entered a height: a block held for it is taken next, in an event of its own.</summary>
    private void TakeHeldNext()
    {
        _askScheduled = false; // the driver drops the timeouts of the heights passed
        if (_catchUp is null) return;
        _catchUp.Advance(Height);
        if (_catchUp.Holds(Height)) Schedule(TimeoutKind.CatchUpNext, 0, TimeSpan.Zero);
    }

    /// <summary>The held block of this height goes through every check of a catch-up response. Should it fail one, its
    /// peer is asked nothing more until it shows a block again, and the height is asked of another source at once.</summary>
    private void OnCatchUpNext()
    {
        if (_catchUp?.Take(Height) is not { } held) return;
        var height = Height;
        OnBlockFetched(held.Peer, held.Block, held.Certificate);
        if (Height != height)
        {
            Interlocked.Increment(ref _blocksFetchedAhead);
            return;
        }

        _catchUp.Distrust(held.Peer);
        if (_catchUp.SourceOtherThan(held.Peer) is { } other) RequestBlock(other);
    }
}
