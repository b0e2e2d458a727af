using Dkms.Core.Crypto;
using Dkms.Core.Primitives;
using Dkms.Core.Transactions;
using Dkms.Ledger.Tests.Support;

namespace Dkms.Ledger.Tests.Rules;

public class GovernanceTests
{
    private sealed class World : IDisposable
    {
        public World() => H = new LedgerHarness(validators: [.. Nodes.Take(4).Select((n, i) => new ValidatorEntry(n.PublicKey, $"127.0.0.1:{7000 + i}", 1))]);

        public LedgerHarness H { get; }
        public Ed25519Signer[] Nodes { get; } = [.. Enumerable.Range(0, 5).Select(i => Ed25519Signer.FromSeed(Hash32.Sha256([(byte)i]).ToArray()))];

        public Transaction Change(ulong sequence, ValidatorEntry[] set, params Ed25519Signer[] signers) =>
            TransactionCodec.Sign(new TxBody(LedgerHarness.Chain, Governance.Subject, sequence, new SetValidatorsPayload(set)),
                signers.Select(s => ((ISigner)s, (IdentityId?)null)));

        public ValidatorEntry[] FiveNodes => [.. Nodes.Select((n, i) => new ValidatorEntry(n.PublicKey, $"127.0.0.1:{7000 + i}", 1))];

        public void Dispose() => H.Dispose();
    }

    [Fact]
    public void Three_of_four_validators_change_the_set_and_it_takes_effect_two_heights_later()
    {
        using var w = new World();
        var genesisRoot = w.H.Ledger.StateRoot;
        Assert.NotEqual(Hash32.Zero, genesisRoot);
        w.H.Accept(w.Change(1, w.FiveNodes, w.Nodes[0], w.Nodes[1], w.Nodes[2]));
        var committedAt = w.H.Ledger.Height;

        Assert.Equal(4, w.H.Ledger.ValidatorSetAt(committedAt)!.Length);
        Assert.Equal(4, w.H.Ledger.ValidatorSetAt(committedAt + 1)!.Length);
        Assert.Equal(5, w.H.Ledger.ValidatorSetAt(committedAt + Governance.ActivationDelay)!.Length);
        Assert.Equal(4, w.H.Ledger.ValidatorSetAt(0)!.Length);

        w.H.Reopen();
        Assert.Equal(4, w.H.Ledger.ValidatorSetAt(committedAt + 1)!.Length);
        Assert.Equal(5, w.H.Ledger.ValidatorSetAt(committedAt + Governance.ActivationDelay)!.Length);
    }

    [Fact]
    public void A_caller_changing_the_returned_validator_set_does_not_change_the_ledgers()
    {
        using var w = new World();
        var set = w.H.Ledger.ValidatorSetAt(1)!;
        var first = set[0];
        set[0] = set[1];
        Assert.Equal(first, w.H.Ledger.ValidatorSetAt(1)![0]);
    }

    [Fact]
    public void Two_of_four_validators_cannot_change_the_set()
    {
        using var w = new World();
        w.H.Reject(w.Change(1, w.FiveNodes, w.Nodes[0], w.Nodes[1]), ErrorCode.ThresholdNotMet);
        // A key outside the set adds no power.
        w.H.Reject(w.Change(1, w.FiveNodes, w.Nodes[0], w.Nodes[1], w.Nodes[4]), ErrorCode.ThresholdNotMet);
    }

    [Fact]
    public void Replayed_or_out_of_order_changes_are_rejected()
    {
        using var w = new World();
        var change = w.Change(1, w.FiveNodes, w.Nodes[0], w.Nodes[1], w.Nodes[2]);
        w.H.Accept(change);
        w.H.Reject(change, ErrorCode.Duplicate);
        w.H.Reject(w.Change(1, w.FiveNodes, w.Nodes[1], w.Nodes[2], w.Nodes[3]), ErrorCode.Duplicate); // same body, other signers
        w.H.Reject(w.Change(1, w.FiveNodes[..4], w.Nodes[1], w.Nodes[2], w.Nodes[3]), ErrorCode.BadSequence);
    }

    [Fact]
    public void After_activation_the_new_set_signs_the_next_change()
    {
        using var w = new World();
        w.H.Accept(w.Change(1, w.FiveNodes, w.Nodes[0], w.Nodes[1], w.Nodes[2]));
        w.H.Block();
        w.H.Block();
        // Five validators of power 1: four (more than 2/3 of 5) must sign; three no longer suffice.
        var back = w.FiveNodes[..4];
        w.H.Reject(w.Change(2, back, w.Nodes[0], w.Nodes[1], w.Nodes[2]), ErrorCode.ThresholdNotMet);
        w.H.Accept(w.Change(2, back, w.Nodes[0], w.Nodes[1], w.Nodes[2], w.Nodes[4]));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void Invalid_validator_sets_are_rejected(long power)
    {
        using var w = new World();
        var set = w.FiveNodes;
        set[0] = set[0] with { Power = power };
        w.H.Reject(w.Change(1, set, w.Nodes[0], w.Nodes[1], w.Nodes[2]), ErrorCode.InvalidParameters);
        w.H.Reject(w.Change(1, [set[1], set[1]], w.Nodes[0], w.Nodes[1], w.Nodes[2]), ErrorCode.InvalidParameters);
        w.H.Reject(w.Change(1, [], w.Nodes[0], w.Nodes[1], w.Nodes[2]), ErrorCode.InvalidParameters);
    }

    [Fact]
    public void Genesis_validators_are_part_of_the_state_root_and_survive_reopening()
    {
        using var w = new World();
        var root = w.H.Ledger.StateRoot;
        w.H.Reopen();
        Assert.Equal(root, w.H.Ledger.StateRoot);
        Assert.Equal(4, w.H.Ledger.ValidatorSetAt(0)!.Length);
        Assert.Throws<InvalidOperationException>(() => w.H.Ledger.InitializeGenesis(w.FiveNodes));
    }

    [Fact]
    public void Ledger_without_genesis_refuses_validator_changes()
    {
        using var h = new LedgerHarness(genesis: false);
        var node = Ed25519Signer.FromSeed(new byte[32]);
        var tx = TransactionCodec.Sign(new TxBody(LedgerHarness.Chain, Governance.Subject, 1,
            new SetValidatorsPayload([new ValidatorEntry(node.PublicKey, "127.0.0.1:1", 1)])), [(node, null)]);
        h.Reject(tx, ErrorCode.NotAuthorized);
    }
}
