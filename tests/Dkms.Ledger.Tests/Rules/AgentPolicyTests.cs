using Dkms.Core.Crypto;
using Dkms.Core.Transactions;
using Dkms.Ledger.Tests.Support;

namespace Dkms.Ledger.Tests.Rules;

public class AgentPolicyTests
{
    private const string Policy = "devices";

    private sealed class World : IDisposable
    {
        public LedgerHarness H { get; } = new();
        public Actor Owner { get; }
        public Ed25519Signer Admin { get; }
        public Ed25519Signer Granter { get; }
        public Ed25519Signer Revoker { get; }
        public Ed25519Signer Phone { get; }
        public Ed25519Signer NewDevice { get; }

        public World(int adminThreshold = 1)
        {
            Owner = H.Create(new Actor("owner"));
            Admin = Owner.Agent("admin");
            Granter = Owner.Agent("granter");
            Revoker = Owner.Agent("revoker");
            Phone = Owner.Agent("phone");
            NewDevice = Owner.Agent("new-device");
            H.Accept(Owner.Sign(new SetAgentPolicyPayload(Policy,
            [
                new AgentChange(Admin.PublicKey, AgentRights.Admin),
                new AgentChange(Granter.PublicKey, AgentRights.ProveGrant | AgentRights.Prove),
                new AgentChange(Revoker.PublicKey, AgentRights.ProveRevoke),
                new AgentChange(Phone.PublicKey, AgentRights.Prove),
            ], adminThreshold), H.Seq(Owner), Owner.Current));
        }

        public Transaction Change(AgentChange[] changes, params ISigner[] signers) =>
            Owner.Sign(new SetAgentPolicyPayload(Policy, changes, null), H.Seq(Owner), signers);

        public AgentRights RightsOf(Ed25519Signer agent) => H.Ledger.GetPolicy(Owner.Id, Policy)!.RightsOf(agent.PublicKey);

        public void Dispose() => H.Dispose();
    }

    [Fact]
    public void Owner_creates_a_policy_and_agents_prove_with_their_bits()
    {
        using var w = new World();
        Assert.True(w.H.Ledger.CheckAuthorization(w.Owner.Id, Policy, w.Phone.PublicKey, AgentRights.Prove).Authorized);
        Assert.False(w.H.Ledger.CheckAuthorization(w.Owner.Id, Policy, w.Revoker.PublicKey, AgentRights.Prove).Authorized);
        Assert.True(w.H.Ledger.CheckAuthorization(w.Owner.Id, Policy, w.Admin.PublicKey, AgentRights.Prove).Authorized);
    }

    [Fact]
    public void Only_the_owner_creates_a_policy()
    {
        using var w = new World();
        var tx = w.Owner.Sign(new SetAgentPolicyPayload("other", [new AgentChange(w.NewDevice.PublicKey, AgentRights.Prove)], null), w.H.Seq(w.Owner), [w.Admin]);
        w.H.Reject(tx, ErrorCode.NotAuthorized);
    }

    [Fact]
    public void ProveGrant_adds_an_agent_with_Prove()
    {
        using var w = new World();
        w.H.Accept(w.Change([new AgentChange(w.NewDevice.PublicKey, AgentRights.Prove)], w.Granter));
        Assert.Equal(AgentRights.Prove, w.RightsOf(w.NewDevice));
    }

    [Theory]
    [InlineData(AgentRights.Admin)]
    [InlineData(AgentRights.ProveGrant)]
    [InlineData(AgentRights.Prove | AgentRights.ProveRevoke)]
    public void ProveGrant_cannot_grant_more_than_Prove(AgentRights rights)
    {
        using var w = new World();
        w.H.Reject(w.Change([new AgentChange(w.NewDevice.PublicKey, rights)], w.Granter), ErrorCode.NotAuthorized);
    }

    [Fact]
    public void ProveGrant_cannot_rewrite_an_existing_agents_bits()
    {
        using var w = new World();
        // Turning the revoker's ProveRevoke into Prove adds Prove (allowed) but removes ProveRevoke (not).
        w.H.Reject(w.Change([new AgentChange(w.Revoker.PublicKey, AgentRights.Prove)], w.Granter), ErrorCode.NotAuthorized);
        // Raising the phone to Admin is a grant of Admin.
        w.H.Reject(w.Change([new AgentChange(w.Phone.PublicKey, AgentRights.Admin | AgentRights.Prove)], w.Granter), ErrorCode.NotAuthorized);
        Assert.Equal(AgentRights.ProveRevoke, w.RightsOf(w.Revoker));
        Assert.Equal(AgentRights.Prove, w.RightsOf(w.Phone));
    }

    [Fact]
    public void Agent_cannot_raise_its_own_bits()
    {
        using var w = new World();
        w.H.Reject(w.Change([new AgentChange(w.Phone.PublicKey, AgentRights.Prove | AgentRights.ProveGrant)], w.Phone), ErrorCode.NotAuthorized);
        // Not even Prove, which its own ProveGrant could give to others.
        w.H.Reject(w.Change([new AgentChange(w.Revoker.PublicKey, AgentRights.ProveRevoke | AgentRights.Prove)], w.Revoker), ErrorCode.NotAuthorized);
        w.H.Reject(w.Change([new AgentChange(w.Granter.PublicKey, AgentRights.All)], w.Granter), ErrorCode.NotAuthorized);
    }

    [Fact]
    public void Agent_without_rights_cannot_rewrite_another_agent()
    {
        using var w = new World();
        w.H.Reject(w.Change([new AgentChange(w.Granter.PublicKey, AgentRights.None)], w.Phone), ErrorCode.NotAuthorized);
        w.H.Reject(w.Change([new AgentChange(w.Phone.PublicKey, AgentRights.None)], w.NewDevice), ErrorCode.NotAuthorized);
    }

    [Fact]
    public void Agent_may_always_remove_its_own_bits()
    {
        using var w = new World();
        w.H.Accept(w.Change([new AgentChange(w.Granter.PublicKey, AgentRights.Prove)], w.Granter));
        Assert.Equal(AgentRights.Prove, w.RightsOf(w.Granter));
    }

    [Fact]
    public void ProveRevoke_removes_Prove_from_a_lost_device_but_nothing_else()
    {
        using var w = new World();
        w.H.Reject(w.Change([new AgentChange(w.Granter.PublicKey, AgentRights.Prove)], w.Revoker), ErrorCode.NotAuthorized);
        w.H.Accept(w.Change([new AgentChange(w.Phone.PublicKey, AgentRights.None)], w.Revoker));
        Assert.False(w.H.Ledger.CheckAuthorization(w.Owner.Id, Policy, w.Phone.PublicKey, AgentRights.Prove).Authorized);
    }

    [Fact]
    public void Admin_may_change_anything()
    {
        using var w = new World();
        w.H.Accept(w.Change(
        [
            new AgentChange(w.Granter.PublicKey, AgentRights.None),
            new AgentChange(w.NewDevice.PublicKey, AgentRights.Admin),
        ], w.Admin));
        Assert.Equal(AgentRights.Admin, w.RightsOf(w.NewDevice));
    }

    [Fact]
    public void Policy_requiring_two_admins_refuses_one()
    {
        using var w = new World(adminThreshold: 2);
        var second = w.Owner.Agent("admin2");
        w.H.Accept(w.Owner.Sign(new SetAgentPolicyPayload(Policy, [new AgentChange(second.PublicKey, AgentRights.Admin)], null), w.H.Seq(w.Owner), w.Owner.Current));

        w.H.Reject(w.Change([new AgentChange(w.NewDevice.PublicKey, AgentRights.Admin)], w.Admin), ErrorCode.NotAuthorized);
        w.H.Accept(w.Change([new AgentChange(w.NewDevice.PublicKey, AgentRights.Admin)], w.Admin, second));
        // Changing the admin threshold itself needs the current quorum of two.
        w.H.Reject(w.Owner.Sign(new SetAgentPolicyPayload(Policy, [], 1), w.H.Seq(w.Owner), [w.Admin]), ErrorCode.NotAuthorized);
    }

    [Fact]
    public void Agent_authorization_at_a_past_height_is_answered_from_history()
    {
        using var w = new World();
        var before = w.H.Ledger.Height;
        w.H.Accept(w.Change([new AgentChange(w.Phone.PublicKey, AgentRights.None)], w.Admin));
        Assert.True(w.H.Ledger.CheckAuthorization(w.Owner.Id, Policy, w.Phone.PublicKey, AgentRights.Prove, before).Authorized);
        Assert.False(w.H.Ledger.CheckAuthorization(w.Owner.Id, Policy, w.Phone.PublicKey, AgentRights.Prove).Authorized);
    }

    [Fact]
    public void Agent_proof_statement_verifies_only_for_the_signing_agent_and_the_same_nonce()
    {
        using var w = new World();
        var statement = new AgentProofStatement(LedgerHarness.Chain, [1, 2, 3], w.Owner.Id, Policy, "login");
        var sig = statement.Sign(w.Phone);
        Assert.True(statement.VerifySignature(w.Phone.PublicKey, sig));
        Assert.False(statement.VerifySignature(w.Admin.PublicKey, sig));
        Assert.False((statement with { VerifierNonce = [9] }).VerifySignature(w.Phone.PublicKey, sig));
    }
}
