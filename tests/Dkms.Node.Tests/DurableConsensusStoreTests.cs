using Dkms.Consensus;
using Dkms.Core.Blocks;
using Dkms.Core.Crypto;
using Dkms.Core.Primitives;
using Dkms.Node.Consensus;
using Dkms.Storage;

namespace Dkms.Node.Tests;

public sealed class DurableConsensusStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dkms-cs-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Signed_votes_and_lock_survive_reopening_the_store()
    {
        var signer = Ed25519Signer.FromSeed(new byte[32]);
        var vote = Vote.Create(signer, "chain", VoteType.Prevote, 7, 2, Hash32.Sha256([1]));
        using (var store = RocksDbStore.Open(_dir))
        {
            var durable = new DurableConsensusStore(store);
            Assert.Null(durable.Load());
            durable.Save(new PersistedState(7, 2, Step.Prevote, -1, null, -1, null, [vote], []));
        }

        using (var store = RocksDbStore.Open(_dir))
        {
            var loaded = new DurableConsensusStore(store).Load()!;
            Assert.Equal(7UL, loaded.Height);
            Assert.Equal(2, loaded.Round);
            Assert.Equal(Step.Prevote, loaded.Step);
            var saved = Assert.Single(loaded.SignedVotes);
            Assert.Equal(vote.BlockHash, saved.BlockHash);
            Assert.True(saved.VerifySignature("chain"));
        }
    }

    [Theory]
    [InlineData("x/consensus-record")]
    [InlineData("x/consensus-state")]
    public void Damaged_consensus_state_refuses_to_load(string key)
    {
        using var store = RocksDbStore.Open(_dir);
        store.Write(new WriteBatch().Put(System.Text.Encoding.ASCII.GetBytes(key), [0xc1, 0x00]), sync: true);
        Assert.Throws<StorageCorruptionException>(() => new DurableConsensusStore(store).Load());
    }

    [Fact]
    public void A_locked_block_and_a_signed_proposal_survive_reopening_and_leave_the_store_once_the_height_moves_on()
    {
        var signer = Ed25519Signer.FromSeed(new byte[32]);
        byte[][] txs = [[1], [2], [3]];
        var block = new Block(new BlockHeader("chain", 7, 0, Hash32.Zero, Block.ComputeTransactionRoot(txs), Hash32.Zero, signer.PublicKey, 1_000), txs);
        var proposal = Proposal.Create(signer, "chain", 7, 0, -1, block);
        using (var store = RocksDbStore.Open(_dir))
        {
            var durable = new DurableConsensusStore(store);
            durable.Save(new PersistedState(7, 0, Step.Propose, -1, null, -1, null, [], [proposal]));
            durable.Save(new PersistedState(7, 0, Step.Precommit, 0, block, 0, null, [], [proposal]));
            Assert.Equal(1, BlocksStored(store));
        }

        using (var store = RocksDbStore.Open(_dir))
        {
            var durable = new DurableConsensusStore(store);
            var loaded = durable.Load()!;
            Assert.Equal(block.Hash, loaded.LockedBlock!.Hash);
            Assert.Equal(txs, loaded.LockedBlock.Transactions);
            Assert.True(Assert.Single(loaded.SignedProposals).VerifySignature("chain"));

            durable.Save(new PersistedState(8, 0, Step.Propose, -1, null, -1, null, [], []));
            Assert.Equal(0, BlocksStored(store));
        }
    }

    [Fact]
    public void A_state_written_whole_by_an_earlier_version_still_loads_and_the_next_save_replaces_it()
    {
        var signer = Ed25519Signer.FromSeed(new byte[32]);
        var vote = Vote.Create(signer, "chain", VoteType.Precommit, 4, 1, Hash32.Sha256([4]));
        using var store = RocksDbStore.Open(_dir);
        var legacyKey = "x/consensus-state"u8.ToArray();
        store.Write(new WriteBatch().Put(legacyKey, Dkms.Core.Encoding.Codec.Encode(new PersistedState(4, 1, Step.Precommit, -1, null, -1, null, [vote], []))), sync: true);

        var durable = new DurableConsensusStore(store);
        var loaded = durable.Load()!;
        Assert.Equal((4UL, 1), (loaded.Height, loaded.Round));
        Assert.True(Assert.Single(loaded.SignedVotes).VerifySignature("chain"));

        durable.Save(loaded);
        Assert.Null(store.Get(legacyKey));
        Assert.Equal(4UL, new DurableConsensusStore(store).Load()!.Height);
    }

    private static int BlocksStored(IKeyValueStore store) => store.Scan("x/consensus-block/"u8.ToArray()).Count();
}
