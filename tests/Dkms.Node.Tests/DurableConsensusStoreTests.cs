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

    [Fact]
    public void Damaged_consensus_state_refuses_to_load()
    {
        using var store = RocksDbStore.Open(_dir);
        store.Write(new WriteBatch().Put("x/consensus-state"u8.ToArray(), [0xc1, 0x00]), sync: true);
        Assert.Throws<StorageException>(() => new DurableConsensusStore(store).Load());
    }
}
