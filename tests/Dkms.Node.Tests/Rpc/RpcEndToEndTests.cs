using Dkms.Client;
using Dkms.Node.Testing;
using Dkms.Node.Tests.Support;
using Dkms.Rpc;

namespace Dkms.Node.Tests.Rpc;

/// <summary>Four in-process validators; transactions go in through one node's RPC and come out of all.</summary>
public sealed class RpcEndToEndTests : IAsyncLifetime
{
    private InProcessTestnet _net = null!;

    public async Task InitializeAsync() => _net = await InProcessTestnet.StartAsync(4);

    public async Task DisposeAsync() => await _net.DisposeAsync();

    [Fact]
    public async Task A_transaction_submitted_to_one_node_is_committed_on_all_four_with_one_state_root()
    {
        using var client = new DkmsRpcClient(_net.RpcEndpoints[0]);
        var alice = new TestIdentity("alice", new TransactionBuilder(InProcessTestnet.ChainId));
        var result = await client.SubmitAsync(alice.Incept(), SubmitModes.Commit, 20_000);

        Assert.Equal(TxStatuses.Committed, result.Status);
        Assert.True(await _net.WaitForHeightAsync(result.Height!.Value, TimeSpan.FromSeconds(20)));
        var roots = Enumerable.Range(0, 4).Select(i => _net.Node(i).Ledger.GetHeight(result.Height.Value)!.StateRoot).Distinct().ToList();
        Assert.Single(roots);
        foreach (var endpoint in _net.RpcEndpoints)
        {
            using var other = new DkmsRpcClient(endpoint);
            var resolved = await other.ResolveAsync(alice.Id);
            Assert.Equal(alice.Id.ToString(), resolved.Identity!.Id);
        }
    }

    [Fact]
    public async Task A_resolution_with_proof_verifies_locally_and_a_changed_byte_does_not()
    {
        using var client = new DkmsRpcClient(_net.RpcEndpoints[1]);
        var bob = new TestIdentity("bob", new TransactionBuilder(InProcessTestnet.ChainId));
        await client.SubmitAsync(bob.Incept(), SubmitModes.Commit, 20_000);
        await client.SubmitAsync(bob.Rotate(), SubmitModes.Commit, 20_000);

        var answer = await client.ResolveAsync(bob.Id, proof: true);
        var trusted = TrustedChain.FromGenesis(_net.Genesis);
        var asked = new IdentityQuery(bob.Id);
        var ok = ProofVerifier.VerifyIdentity(answer, asked, trusted, Freshness.Default);
        Assert.True(ok.IsValid, ok.Error);
        Assert.Equal(2UL, ok.Value!.Sequence);

        var proof = answer.Proof!;
        var value = Convert.FromBase64String(proof.Value!);
        value[^1] ^= 1;
        var tampered = answer with { Proof = proof with { Value = Convert.ToBase64String(value) } };
        Assert.False(ProofVerifier.VerifyIdentity(tampered, asked, trusted, Freshness.Default).IsValid);

        var header = Convert.FromBase64String(proof.Header);
        header[^3] ^= 1;
        var badHeader = answer with { Proof = proof with { Header = Convert.ToBase64String(header) } };
        Assert.False(ProofVerifier.VerifyIdentity(badHeader, asked, trusted, Freshness.Default).IsValid);

        var lied = answer with { Identity = answer.Identity! with { Sequence = 7 } };
        Assert.False(ProofVerifier.VerifyIdentity(lied, asked, trusted, Freshness.Default).IsValid);
    }
}
