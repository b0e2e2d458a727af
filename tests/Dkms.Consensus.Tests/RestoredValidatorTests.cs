using Dkms.Consensus.InMemory;

namespace Dkms.Consensus.Tests;

/// <summary>
/// A validator restored from a backup has the consensus record of the backup's moment: it does not know what it signed
/// after. Started with a <see cref="SigningHold"/> it must never sign a vote that conflicts with one its old self signed,
/// and must still rejoin signing once it has caught up.
/// </summary>
public sealed class RestoredValidatorTests
{
    [Theory]
    [InlineData(5, false)]
    [InlineData(6, false)]
    [InlineData(7, true)]
    [InlineData(8, true)]
    public void A_validator_restored_from_an_older_backup_never_signs_a_conflicting_vote_and_rejoins_signing(int seed, bool emptyBlocks)
    {
        using var net = new TestNet(4, seed, o => o with { CreateEmptyBlocks = emptyBlocks });
        Assert.True(net.RunUntilHeight(5, TimeSpan.FromMinutes(1)));

        // The backup: node 1's application state and consensus record as of now.
        const int restored = 1;
        var (app, store) = Backup(net, restored);

        // Node 1 keeps signing for a while, then its data directory is lost.
        var all = Enumerable.Range(0, 4).ToArray();
        Assert.True(net.RunUntilHeight(net.Apps[restored].Tip.Height + 15, TimeSpan.FromMinutes(1), all));
        var lostAt = net.Apps[restored].Tip.Height;
        net.Crash(restored);
        var others = all.Where(i => i != restored).ToArray();
        Assert.True(net.RunUntilHeight(net.MinHeight(others) + 3, TimeSpan.FromMinutes(1), others));

        // Restored from the backup, with the hold a restore writes.
        net.Apps[restored] = app;
        net.Stores[restored] = store;
        var hold = new SigningHold();
        var releasedAt = 0UL;
        hold.Releasing += h => releasedAt = h;
        net.Holds[restored] = hold;
        net.Start(restored);
        Assert.True(net.RunUntilHeight(net.MinHeight(others) + 20, TimeSpan.FromMinutes(2), all), net.Describe());

        net.AssertNoFork();
        net.AssertNoDoubleSigning(all);
        // It rejoined: the hold ended above every height its old self reached, and it signs again.
        Assert.True(hold.Released, $"the hold never ended (floor {hold.Floor})");
        Assert.True(releasedAt > lostAt + 1, $"signing resumed at {releasedAt}, its old self reached {lostAt}");
        var key = net.Signers[restored].PublicKey;
        Assert.Contains(net.SignedVotes.Keys, k => k.Item1 == key && k.Item2 >= releasedAt);
    }

    [Fact]
    public void Without_the_hold_a_restored_validator_signs_a_vote_conflicting_with_one_it_signed_before()
    {
        // The danger the hold exists for, shown on the same scenario: the restored validator proposes and prevotes again
        // at heights its old self had signed at.
        var conflicts = 0;
        foreach (var seed in new[] { 5, 6, 7, 8 })
        {
            using var net = new TestNet(4, seed, o => o with { CreateEmptyBlocks = true });
            Assert.True(net.RunUntilHeight(5, TimeSpan.FromMinutes(1)));
            var (app, store) = Backup(net, 1);
            var all = Enumerable.Range(0, 4).ToArray();
            Assert.True(net.RunUntilHeight(net.Apps[1].Tip.Height + 15, TimeSpan.FromMinutes(1), all));
            net.Crash(1);
            net.Apps[1] = app;
            net.Stores[1] = store;
            net.Start(1);
            net.RunUntilHeight(net.MinHeight([0, 2, 3]) + 20, TimeSpan.FromMinutes(2), all);
            var key = net.Signers[1].PublicKey;
            conflicts += net.SignedVotes.Count(kv => kv.Key.Item1 == key && kv.Value.Count > 1);
        }

        Assert.True(conflicts > 0, "no restored validator signed twice: the scenario does not show the danger");
    }

    /// <summary>A copy of node <paramref name="i"/>'s committed chain and consensus record, as a backup holds them.</summary>
    private static (InMemoryApplication App, InMemoryConsensusStore Store) Backup(TestNet net, int i)
    {
        var app = new InMemoryApplication(net.Genesis);
        for (var h = 1UL; h <= net.Apps[i].Tip.Height; h++)
        {
            Assert.True(net.Apps[i].TryGetCommitted(h, out var block, out var certificate));
            app.Commit(block, certificate);
        }

        var store = new InMemoryConsensusStore();
        if (net.Stores[i].Load() is { } record) store.Save(record);
        return (app, store);
    }
}
