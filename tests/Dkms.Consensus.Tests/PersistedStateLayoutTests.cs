using Dkms.Core.Blocks;
using Dkms.Core.Crypto;
using Dkms.Core.Primitives;

namespace Dkms.Consensus.Tests;

public class PersistedStateLayoutTests
{
    private const string Chain = "chain";
    private static readonly Ed25519Signer Signer = Ed25519Signer.FromSeed(new byte[32]);

    private static Block MakeBlock(ulong height, int round, int transactions)
    {
        var txs = Enumerable.Range(0, transactions).Select(i => BitConverter.GetBytes(i * 7 + round)).ToArray();
        var header = new BlockHeader(Chain, height, round, Hash32.Zero, Block.ComputeTransactionRoot(txs), Hash32.Sha256([(byte)round]),
            Signer.PublicKey, 1_000 + round);
        return new Block(header, txs);
    }

    private static Vote Prevote(ulong height, int round, Block block) => Vote.Create(Signer, Chain, VoteType.Prevote, height, round, block.Hash);

    [Fact]
    public void A_block_referred_to_by_many_saves_is_stored_once()
    {
        var store = new InMemoryConsensusStore();
        var block = MakeBlock(5, 0, 100);
        var proposal = Proposal.Create(Signer, Chain, 5, 0, -1, block);
        store.Save(new PersistedState(5, 0, Step.Propose, -1, null, -1, null, [], [proposal]));
        store.Save(new PersistedState(5, 0, Step.Prevote, -1, null, -1, null, [Prevote(5, 0, block)], [proposal]));
        store.Save(new PersistedState(5, 0, Step.Precommit, 0, block, 0, null, [Prevote(5, 0, block)], [proposal]));

        Assert.Equal(1, store.StoredBlocks);
        var layout = new PersistedStateLayout();
        var first = layout.Plan(new PersistedState(5, 0, Step.Precommit, 0, block, 0, block, [], [proposal]));
        Assert.Single(first.NewBlocks);
        layout.Written(first);
        var second = layout.Plan(new PersistedState(5, 0, Step.Precommit, 0, block, 0, block, [], [proposal]));
        Assert.Empty(second.NewBlocks);
        Assert.True(second.Record.Length < 1_000, $"the record is {second.Record.Length} bytes");
    }

    [Fact]
    public void A_block_no_longer_referred_to_is_dropped_in_the_same_save()
    {
        var store = new InMemoryConsensusStore();
        var old = MakeBlock(5, 0, 10);
        store.Save(new PersistedState(5, 1, Step.Precommit, 0, old, 0, null, [], []));
        var newer = MakeBlock(5, 1, 10);
        store.Save(new PersistedState(5, 1, Step.Precommit, 1, newer, 1, null, [], []));
        Assert.Equal(1, store.StoredBlocks);
        Assert.Equal(newer.Hash, store.Load()!.LockedBlock!.Hash);

        store.Save(new PersistedState(6, 0, Step.Propose, -1, null, -1, null, [], []));
        Assert.Equal(0, store.StoredBlocks);
    }

    [Fact]
    public void Restoring_gives_back_the_lock_the_valid_block_and_the_signed_proposals_and_votes()
    {
        var store = new InMemoryConsensusStore();
        var locked = MakeBlock(9, 0, 20);
        var valid = MakeBlock(9, 2, 30);
        var proposal = Proposal.Create(Signer, Chain, 9, 3, 2, valid);
        var vote = Prevote(9, 3, valid);
        store.Save(new PersistedState(9, 3, Step.Prevote, 0, locked, 2, valid, [vote], [proposal]));

        var restored = store.Load()!;
        Assert.Equal((9UL, 3, Step.Prevote, 0, 2), (restored.Height, restored.Round, restored.Step, restored.LockedRound, restored.ValidRound));
        Assert.Equal(locked.Hash, restored.LockedBlock!.Hash);
        Assert.Equal(locked.Transactions, restored.LockedBlock.Transactions);
        Assert.True(restored.LockedBlock.TransactionRootMatches());
        Assert.Equal(valid.Hash, restored.ValidBlock!.Hash);
        var p = Assert.Single(restored.SignedProposals);
        Assert.Same(restored.ValidBlock, p.Block);
        Assert.Equal((3, 2), (p.Round, p.ValidRound));
        Assert.True(p.VerifySignature(Chain));
        Assert.True(Assert.Single(restored.SignedVotes).VerifySignature(Chain));
    }

    [Fact]
    public void A_record_naming_a_missing_or_substituted_block_does_not_restore()
    {
        var layout = new PersistedStateLayout();
        var block = MakeBlock(3, 0, 5);
        var changes = layout.Plan(new PersistedState(3, 0, Step.Precommit, 0, block, 0, null, [], []));

        Assert.False(new PersistedStateLayout().TryRestore(changes.Record, _ => null, out _, out var why));
        Assert.Contains(block.Hash.ToHex(), why);

        var other = Dkms.Core.Encoding.Codec.Encode(MakeBlock(3, 1, 5));
        Assert.False(new PersistedStateLayout().TryRestore(changes.Record, _ => other, out _, out _));

        Assert.False(new PersistedStateLayout().TryRestore([0xc1], _ => null, out _, out _));
    }
}
