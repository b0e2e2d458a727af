namespace Dkms.Consensus.Tests;

/// <summary>
/// The periodic re-send covers messages a transport loses. Over a reliable session a proposal sent once arrives unless
/// the session breaks, and re-sending a block of megabytes every interval only queues copies on a slow link ahead of the
/// votes that decide it (measured through the WAN relay: heights stalled at 1,000 tx/s). So the node turns the
/// proposal's re-send off; its votes are still re-sent, and a peer that asks (as one whose session opened again does)
/// is still served the proposal.
/// </summary>
public sealed class ProposalRebroadcastTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void The_rebroadcast_tick_resends_the_proposal_only_when_configured(bool rebroadcastProposal)
    {
        var proposer = ProposerOfHeightOne();
        using var solo = new Solo(proposer, o => o with { RebroadcastProposal = rebroadcastProposal, CreateEmptyBlocks = true, BatchDelay = TimeSpan.Zero });

        var start = solo.Machine.Start();
        Assert.Single(Solo.Messages(start), m => m.Proposal is not null);

        var tick = solo.Fire(TimeoutKind.Rebroadcast, 0);
        Assert.Equal(rebroadcastProposal, Solo.Messages(tick).Any(m => m.Proposal is not null));
        Assert.Contains(Solo.Votes(tick), v => v.Type == Dkms.Core.Blocks.VoteType.Prevote);

        // A peer that asks for this height (after its session opened again) gets the proposal either way.
        var served = solo.Machine.Handle(new BlockRequested(solo.Signers[solo.Other()].PublicKey, 1));
        Assert.Single(Solo.Messages(served), m => m.Proposal is not null);
    }

    private static int ProposerOfHeightOne()
    {
        using var probe = new Solo(0);
        return Array.FindIndex(probe.Signers, s => s.PublicKey == probe.Set.Proposer(1, 0));
    }
}
