using Dkms.Core.Transactions;
using Dkms.Node.Testing;
using Dkms.Node.Tests.Support;

namespace Dkms.Node.Tests.Networking;

/// <summary>
/// The peer set follows the committed validator set, over the real LiteNetLib transport: a validator added by a
/// SetValidators is dialled and accepted, syncs from an empty data directory and votes; a removed one is dropped.
/// </summary>
public sealed class ValidatorMembershipTests
{
    [Fact]
    public async Task A_fifth_validator_joins_a_running_testnet_syncs_and_votes_and_a_removed_one_is_dropped()
    {
        await using var net = await InProcessTestnet.StartAsync(4, transport: TestnetTransport.LiteNetLib);
        var chain = new Inceptions(net, "member");

        await chain.CommitOneAsync(0);

        // The fifth node starts from the genesis and an empty data directory, before the change that admits it.
        var fifth = net.AddNode();
        await net.StartNodeAsync(fifth);
        var added = await ValidatorSetChange.CommitAsync(net, via: 0, signers: [0, 1, 2],
            set => [.. set, new ValidatorEntry(net.KeyOf(fifth), net.P2PAddressOf(fifth), 1)]);
        var top = 0UL;
        while (top < added + Governance.ActivationDelay) top = await chain.CommitOneAsync(1);

        // It syncs: its ledger reaches the others' through blocks fetched from its new peers.
        Assert.True(await Eventually.TrueAsync(() => net.Node(fifth).Ledger.Height >= top), $"the fifth node stayed at height {net.Node(fifth).Ledger.Height}, the chain is at {top}");
        Assert.True(await Eventually.TrueAsync(() => Enumerable.Range(0, 4).All(i => net.Node(i).Peers.Contains(net.KeyOf(fifth)))), "the validators did not connect to the fifth");

        // It votes: with node 3 stopped, four of the five (quorum of five) exist only with the fifth's precommits.
        await net.StopNodeAsync(3);
        var withFifth = await chain.CommitOneAsync(0);
        Assert.True(net.Node(0).Application.TryGetCommitted(withFifth, out _, out var certificate));
        Assert.Contains(certificate.Signatures, s => s.Validator == net.KeyOf(fifth));

        // Node 3 comes back, then is removed: its connections are dropped, and the four others keep committing.
        await net.StartNodeAsync(3);
        Assert.True(await Eventually.TrueAsync(() => net.Node(3).Ledger.Height >= withFifth), "node 3 did not catch up after its restart");
        Assert.True(await Eventually.TrueAsync(() => net.Node(3).Peers.Count == 4), "node 3 did not reconnect to its peers");
        int[] remaining = [0, 1, 2, fifth];
        long Refusals() => remaining.Sum(i => net.Node(i).Metrics.Transport!.RefusedHandshakes);
        var removed = await ValidatorSetChange.CommitAsync(net, via: 0, signers: remaining, set => [.. set.Where(v => v.NodeKey != net.KeyOf(3))]);
        top = 0;
        while (top < removed + Governance.ActivationDelay) top = await chain.CommitOneAsync(fifth);

        Assert.True(await Eventually.TrueAsync(() => remaining.All(i => !net.Node(i).Peers.Contains(net.KeyOf(3)))), "a validator still holds a connection to the removed node");
        Assert.True(await Eventually.TrueAsync(() => net.Node(3).Peers.Count == 0), "the removed node still has connections");
        // It keeps redialling and must stay refused: wait for two more of its dials and more refusals by the others,
        // rather than for a fixed time that proves neither happened.
        var transport = net.Node(3).Metrics.Transport!;
        var (dials, refusals) = (transport.Dials, Refusals());
        Assert.True(await Eventually.TrueAsync(() => transport.Dials >= dials + 2 && Refusals() > refusals), "the removed node stopped redialling, or nobody refused it");
        Assert.Empty(net.Node(3).Peers);
        Assert.All(remaining, i => Assert.DoesNotContain(net.KeyOf(3), net.Node(i).Peers));

        var after = await chain.CommitOneAsync(2);
        Assert.True(await Eventually.TrueAsync(() => remaining.All(i => net.Node(i).Ledger.Height >= after)));
        Assert.Single(remaining.Select(i => net.Node(i).Ledger.GetHeight(after)!.StateRoot).Distinct());
        Assert.True(net.Node(0).Application.TryGetCommitted(after, out _, out var last));
        Assert.DoesNotContain(last.Signatures, s => s.Validator == net.KeyOf(3));
    }
}
