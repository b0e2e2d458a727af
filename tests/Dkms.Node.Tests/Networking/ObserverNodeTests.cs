using Dkms.Client;
using Dkms.Consensus;
using Dkms.Node.Testing;
using Dkms.Node.Tests.Support;
using Dkms.Rpc;

namespace Dkms.Node.Tests.Networking;

/// <summary>
/// Observer nodes over the real LiteNetLib transport (docs/node.md, "Observers"): an observer started after the chain has
/// heights catches up, keeps the validators' state root, serves reads and proofs that verify with the client's
/// verifier, refuses transactions and never signs; an observer fed by another observer only follows too; a validator
/// takes no more observers than its limit.
/// </summary>
public sealed class ObserverNodeTests
{
    private static async Task<(ulong Height, TestIdentity Who)> CommitOneAsync(InProcessTestnet net, int via, string name)
    {
        using var client = new DkmsRpcClient(net.RpcEndpoints[via]);
        var who = new TestIdentity(name, new TransactionBuilder(InProcessTestnet.ChainId));
        var r = await client.SubmitAsync(who.Incept(), SubmitModes.Commit, 30_000);
        Assert.Equal(TxStatuses.Committed, r.Status);
        return (r.Height!.Value, who);
    }

    [Fact]
    public async Task An_observer_started_late_catches_up_serves_verified_reads_and_refuses_submissions_without_signing()
    {
        await using var net = await InProcessTestnet.StartAsync(4, transport: TestnetTransport.LiteNetLib);
        TestIdentity? alice = null;
        var top = 0UL;
        for (var i = 0; i < 6; i++) (top, alice) = await CommitOneAsync(net, i % 4, $"early{i}");

        var observer = net.AddObserver(0, 1);
        await net.StartNodeAsync(observer);
        Assert.True(await Eventually.TrueAsync(() => net.Node(observer).Ledger.Height >= top), $"the observer stayed at height {net.Node(observer).Ledger.Height}, the chain is at {top}");
        Assert.Equal(net.Node(0).Ledger.GetHeight(top)!.StateRoot, net.Node(observer).Ledger.GetHeight(top)!.StateRoot);

        // It follows new blocks as they are committed.
        var (next, bob) = await CommitOneAsync(net, 2, "late");
        Assert.True(await Eventually.TrueAsync(() => net.Node(observer).Ledger.Height >= next), "the observer did not follow the next block");
        Assert.Equal(net.Node(3).Ledger.GetHeight(next)!.StateRoot, net.Node(observer).Ledger.GetHeight(next)!.StateRoot);

        // node.status says which role each node has.
        using var client = new DkmsRpcClient(net.RpcEndpoints[observer]);
        using var validatorClient = new DkmsRpcClient(net.RpcEndpoints[1]);
        var observerStatus = await client.NodeStatusAsync();
        Assert.Equal(("observer", false), (observerStatus.Role, observerStatus.IsValidator));
        var validatorStatus = await validatorClient.NodeStatusAsync();
        Assert.Equal(("validator", true), (validatorStatus.Role, validatorStatus.IsValidator));

        // Reads with proofs verify against the genesis the client trusts.
        foreach (var who in new[] { alice!, bob })
        {
            var answer = await client.ResolveAsync(who.Id, proof: true);
            var verified = ProofVerifier.VerifyIdentity(answer, new IdentityQuery(who.Id), TrustedChain.FromGenesis(net.Genesis), Freshness.Default);
            Assert.True(verified.IsValid, verified.Error);
        }

        // DID resolution answers exactly as a validator's does.
        using var http = new HttpClient();
        var path = $"1.0/identifiers/{bob.Id}?versionId=1";
        var fromValidator = await http.GetStringAsync(new Uri(net.RpcEndpoints[0], path));
        var fromObserver = await http.GetStringAsync(new Uri(net.RpcEndpoints[observer], path));
        Assert.Equal(fromValidator, fromObserver);

        // Transactions are refused with a clear error, not forwarded.
        var refused = await Assert.ThrowsAsync<RpcException>(() => client.SubmitAsync(new TestIdentity("nope", new TransactionBuilder(InProcessTestnet.ChainId)).Incept(), SubmitModes.Commit, 5_000));
        Assert.Equal(RpcErrorCodes.ObserverNode, refused.Code);
        Assert.Contains("observer", refused.Message, StringComparison.Ordinal);
        Assert.Equal(0, net.Node(observer).Pool.Count);

        // It never signed: no certificate holds its key, no validator dropped a vote or proposal of it, and it is an
        // observer at the validators it follows.
        var key = net.KeyOf(observer);
        for (var h = 1UL; h <= next; h++)
        {
            Assert.True(net.Node(0).Application.TryGetCommitted(h, out _, out var certificate));
            Assert.DoesNotContain(certificate.Signatures, s => s.Validator == key);
        }

        Assert.All(Enumerable.Range(0, 4), i => Assert.Equal(0, net.Node(i).ConsensusEngine.Intake[key, DropReason.NotValidator]));
        Assert.False(net.Node(observer).IsValidator);
        // Its session with node 0 may still be opening (it caught up through node 1): wait for it, then check its kind.
        Assert.True(await Eventually.TrueAsync(() => net.Node(0).Observers.Contains(key)), "node 0 holds no observer session of it");
        Assert.DoesNotContain(key, net.Node(0).Peers);
    }

    [Fact]
    public async Task An_observer_fed_by_another_observer_only_follows_and_a_validator_takes_no_more_observers_than_its_limit()
    {
        await using var net = await InProcessTestnet.StartAsync(4, transport: TestnetTransport.LiteNetLib,
            settings: (_, s) => s with { P2P = new P2PSettings { MaxObservers = 1 } });
        await CommitOneAsync(net, 0, "first");

        var first = net.AddPeersOnlyObserver(0);
        await net.StartNodeAsync(first);
        Assert.True(await Eventually.TrueAsync(() => net.Node(0).Observers.Contains(net.KeyOf(first))), "the first observer has no session at node 0");

        // Node 0's one observer place is taken: a second observer that asks only node 0 is refused.
        var refused = net.AddPeersOnlyObserver(0);
        await net.StartNodeAsync(refused);
        var transport = net.Node(0).Metrics.Transport!;
        Assert.True(await Eventually.TrueAsync(() => transport.ObserversRefused > 0), "node 0 refused no observer");

        // A third follows the first observer only (it does not dial the validators).
        var second = net.AddPeersOnlyObserver(first);
        await net.StartNodeAsync(second);
        var top = 0UL;
        for (var i = 0; i < 4; i++) (top, _) = await CommitOneAsync(net, i, $"more{i}");

        Assert.True(await Eventually.TrueAsync(() => net.Node(second).Ledger.Height >= top), $"the observer of the observer stayed at {net.Node(second).Ledger.Height}, the chain is at {top}");
        Assert.Equal(net.Node(0).Ledger.GetHeight(top)!.StateRoot, net.Node(second).Ledger.GetHeight(top)!.StateRoot);
        Assert.Contains(net.KeyOf(second), net.Node(first).Observers);
        Assert.All(Enumerable.Range(0, 4), i => Assert.DoesNotContain(net.KeyOf(second), net.Node(i).Observers));

        Assert.Equal([net.KeyOf(first)], net.Node(0).Observers);
        Assert.Equal(0UL, net.Node(refused).Ledger.Height);

        // An operator sees both in node 0's metrics: its one observer session, and the refusals.
        using var http = new HttpClient();
        var metrics = (await http.GetStringAsync(new Uri(net.RpcEndpoints[0], "metrics"))).Split('\n');
        Assert.Contains("dkms_observers 1", metrics);
        var refusals = metrics.Single(l => l.StartsWith("dkms_p2p_observers_refused_total ", StringComparison.Ordinal));
        Assert.True(double.Parse(refusals.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture) > 0, refusals);
    }
}
