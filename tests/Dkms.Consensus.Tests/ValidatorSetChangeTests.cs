using Dkms.Consensus.InMemory;
using Dkms.Core.Blocks;

namespace Dkms.Consensus.Tests;

public sealed class ValidatorSetChangeTests
{
    [Fact]
    public void A_new_validator_set_takes_effect_two_heights_after_its_block_on_every_node()
    {
        using var net = new TestNet(5, seed: 71, genesisCount: 4);
        Assert.True(net.RunUntilHeight(5, TimeSpan.FromSeconds(30)));
        var all5 = net.Signers.Select(s => new Validator(s.PublicKey, 10)).ToArray();
        net.Submit([InMemoryApplication.ValidatorSetTransaction(all5)]);
        Assert.True(net.RunUntilHeight(30, TimeSpan.FromMinutes(1)));

        var changedAt = net.Apps[0].Blocks.First(b => b.Transactions.Any(t => t.AsSpan().StartsWith(InMemoryApplication.ValidatorSetPrefix))).Height;
        foreach (var app in net.Apps)
        {
            Assert.Equal(4, app.ValidatorSetAt(changedAt + 1).Count);
            Assert.Equal(5, app.ValidatorSetAt(changedAt + 2).Count);
        }

        // The newcomer signs certificates from H + 2 on, and never before.
        var newcomer = net.Signers[4].PublicKey;
        foreach (var b in net.Apps[0].Blocks)
        {
            net.Apps[0].TryGetCommitted(b.Height, out _, out var cert);
            if (b.Height < changedAt + 2) Assert.DoesNotContain(cert.Signatures, s => s.Validator == newcomer);
        }

        Assert.Contains(net.Apps[0].Blocks, b => net.Apps[0].TryGetCommitted(b.Height, out _, out var c) && c.Signatures.Any(s => s.Validator == newcomer));
        net.AssertNoFork();
    }

    [Fact]
    public void After_a_validator_is_removed_the_remaining_three_keep_committing_without_it()
    {
        using var net = new TestNet(4, seed: 72);
        Assert.True(net.RunUntilHeight(3, TimeSpan.FromSeconds(30)));
        net.Submit([InMemoryApplication.ValidatorSetTransaction(net.Signers.Take(3).Select(s => new Validator(s.PublicKey, 10)))]);
        Assert.True(net.RunUntilHeight(10, TimeSpan.FromSeconds(30)));
        net.Crash(3); // removed: the new set {0, 1, 2} needs all three, and gets them
        net.Crash(0);
        net.Start(0); // a restart under the new set
        Assert.True(net.RunUntilHeight(30, TimeSpan.FromMinutes(1), [0, 1, 2]));
        var last = net.Apps[1].Blocks[^1];
        net.Apps[1].TryGetCommitted(last.Height, out _, out var cert);
        Assert.DoesNotContain(cert.Signatures, s => s.Validator == net.Signers[3].PublicKey);
        net.AssertNoFork([0, 1, 2]);
    }
}
