using Dkms.Core.Transactions;
using Dkms.Node.Testing;
using Dkms.Node.Tests.Support;

namespace Dkms.Node.Tests.Networking;

/// <summary>
/// An observer follows the validators of the committed set (docs/node.md, "Observers"), over the real LiteNetLib
/// transport: given one validator only, it dials a validator a SetValidators added (at the address the change
/// registered), and keeps following after the validator it was given is removed and stopped.
/// </summary>
public sealed class ObserverFollowsValidatorSetTests
{
    [Fact]
    public async Task An_observer_given_one_validator_dials_an_added_one_and_keeps_following_when_its_own_is_removed_and_stopped()
    {
        await using var net = await InProcessTestnet.StartAsync(4, transport: TestnetTransport.LiteNetLib);
        var chain = new Inceptions(net, "follow");

        await chain.CommitOneAsync(1);
        var observer = net.AddObserver(0);
        await net.StartNodeAsync(observer);
        var key = net.KeyOf(observer);

        // A fifth validator joins by a SetValidators: the observer learns its address from the block and dials it.
        var fifth = net.AddNode();
        await net.StartNodeAsync(fifth);
        var added = await ValidatorSetChange.CommitAsync(net, via: 1, signers: [0, 1, 2],
            set => [.. set, new ValidatorEntry(net.KeyOf(fifth), net.P2PAddressOf(fifth), 1)]);
        var top = 0UL;
        while (top < added + Governance.ActivationDelay) top = await chain.CommitOneAsync(1);
        Assert.True(await Eventually.TrueAsync(() => net.Node(observer).Ledger.Height >= top), $"the observer stayed at height {net.Node(observer).Ledger.Height}, the chain is at {top}");
        Assert.Contains(net.Node(observer).PeerSet, p => p.Key == net.KeyOf(fifth) && p.Address == net.P2PAddressOf(fifth));
        Assert.True(await Eventually.TrueAsync(() => net.Node(fifth).Observers.Contains(key)), "the added validator holds no observer session of it");

        // The validator it was given leaves the set and stops: its blocks come from the others.
        var removed = await ValidatorSetChange.CommitAsync(net, via: 1, signers: [1, 2, 3, fifth], set => [.. set.Where(v => v.NodeKey != net.KeyOf(0))]);
        top = 0;
        while (top < removed + Governance.ActivationDelay) top = await chain.CommitOneAsync(2);
        await net.StopNodeAsync(0);
        for (var i = 0; i < 3; i++) top = await chain.CommitOneAsync(fifth);

        Assert.True(await Eventually.TrueAsync(() => net.Node(observer).Ledger.Height >= top), $"the observer stayed at height {net.Node(observer).Ledger.Height}, the chain is at {top}");
        Assert.Equal(net.Node(fifth).Ledger.GetHeight(top)!.StateRoot, net.Node(observer).Ledger.GetHeight(top)!.StateRoot);
        Assert.False(net.Node(observer).IsValidator);
    }
}
