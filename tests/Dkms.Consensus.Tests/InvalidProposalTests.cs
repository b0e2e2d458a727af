using Dkms.Core.Blocks;
using Dkms.Core.Primitives;

namespace Dkms.Consensus.Tests;

public sealed class InvalidProposalTests
{
    public enum Defect { None, WrongStateRoot, InvalidTransaction, TimestampFarAhead, WrongPreviousHash }

    [Theory]
    [InlineData(Defect.None, false)]
    [InlineData(Defect.WrongStateRoot, true)]
    [InlineData(Defect.InvalidTransaction, true)]
    [InlineData(Defect.TimestampFarAhead, true)]
    [InlineData(Defect.WrongPreviousHash, true)]
    public void Validators_execute_a_proposal_before_voting_and_prevote_nil_on_a_defect(Defect defect, bool expectNil)
    {
        using var net = new TestNet(4, seed: 91);
        var proposer = Array.FindIndex(net.Signers, s => s.PublicKey == net.Genesis.Proposer(1, 0));
        net.Crash(proposer); // its key proposes by hand below
        foreach (var a in net.Apps) a.Reject = tx => tx[0] == 0xEE;

        var txs = new List<byte[]> { new byte[] { 1, 2, 3 } };
        if (defect == Defect.InvalidTransaction) txs.Add([0xEE]);
        var app = net.Apps[(proposer + 1) % 4];
        var ts = net.Time.GetUtcNow().ToUnixTimeMilliseconds() + (defect == Defect.TimestampFarAhead ? 60_000 : 0);
        var root = defect == Defect.InvalidTransaction
            ? app.Execute(1, ts, txs.Take(1).ToArray()).StateRoot
            : app.Execute(1, ts, txs).StateRoot;
        if (defect == Defect.WrongStateRoot) root = Hash32.Sha256("wrong"u8);
        var previous = defect == Defect.WrongPreviousHash ? Hash32.Sha256("elsewhere"u8) : Hash32.Zero;
        var key = net.Signers[proposer];
        var block = new Block(new BlockHeader(TestNet.ChainId, 1, 0, previous, Block.ComputeTransactionRoot(txs), root, key.PublicKey, ts), txs);
        var bytes = ConsensusMessage.Encode(Proposal.Create(key, TestNet.ChainId, 1, 0, -1, block));
        foreach (var i in net.Running) net.Network.Send(key.PublicKey, net.Signers[i].PublicKey, bytes);
        net.Run(TimeSpan.FromMilliseconds(50));

        foreach (var i in net.Running)
        {
            Assert.True(net.SignedVotes.TryGetValue((net.Signers[i].PublicKey, 1UL, 0, VoteType.Prevote), out var prevotes), $"node {i} did not prevote");
            Assert.Equal(expectNil ? Hash32.Zero : block.Hash, Assert.Single(prevotes));
        }
    }
}
