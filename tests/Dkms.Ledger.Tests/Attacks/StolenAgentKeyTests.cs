using Dkms.Core.Crypto;
using Dkms.Core.Transactions;
using Dkms.Ledger.Tests.Support;

namespace Dkms.Ledger.Tests.Attacks;

/// <summary>
/// A thief holding one agent key tries to do more than its bits allow — above all, to burn the owner's sequence
/// numbers with changes that change nothing, so that every transaction the owner signed ahead fails.
/// </summary>
public class StolenAgentKeyTests
{
    private const string Policy = "devices";

    private sealed class World : IDisposable
    {
        public LedgerHarness H { get; } = new();
        public Actor Owner { get; }
        public Ed25519Signer Prover { get; }
        public Ed25519Signer Granter { get; }
        public Ed25519Signer Revoker { get; }

        public World()
        {
            Owner = H.Create(new Actor("owner"));
            Prover = Owner.Agent("prover");
            Granter = Owner.Agent("granter");
            Revoker = Owner.Agent("revoker");
            H.Accept(Owner.Sign(new SetAgentPolicyPayload(Policy,
            [
                new AgentChange(Prover.PublicKey, AgentRights.Prove),
                new AgentChange(Granter.PublicKey, AgentRights.ProveGrant),
                new AgentChange(Revoker.PublicKey, AgentRights.ProveRevoke),
            ], 1), H.Seq(Owner), Owner.Current));
        }

        public Transaction By(Ed25519Signer agent, AgentChange[] changes, int? adminThreshold = null) =>
            Owner.Sign(new SetAgentPolicyPayload(Policy, changes, adminThreshold), H.Seq(Owner), [agent]);

        public void Dispose() => H.Dispose();
    }

    public static TheoryData<string> Agents() => new() { "prover", "granter", "revoker" };

    [Theory]
    [MemberData(nameof(Agents))]
    public void Any_agent_sending_an_empty_change_is_refused_and_the_owners_sequence_is_kept(string name)
    {
        using var w = new World();
        var agent = w.Owner.Agent(name);
        var sequence = w.H.Ledger.GetIdentity(w.Owner.Id)!.Sequence;
        w.H.Reject(w.By(agent, []), ErrorCode.InvalidParameters);
        w.H.Reject(w.By(agent, [], adminThreshold: 1), ErrorCode.InvalidParameters);
        Assert.Equal(sequence, w.H.Ledger.GetIdentity(w.Owner.Id)!.Sequence);
    }

    [Fact]
    public void A_change_that_leaves_every_bit_as_it_is_is_refused()
    {
        using var w = new World();
        w.H.Reject(w.By(w.Prover, [new AgentChange(w.Prover.PublicKey, AgentRights.Prove)]), ErrorCode.InvalidParameters);
        w.H.Reject(w.By(w.Revoker, [new AgentChange(w.Owner.Agent("stranger").PublicKey, AgentRights.None)]), ErrorCode.InvalidParameters);
        // One real change does not carry a no-op along with it.
        w.H.Reject(w.By(w.Granter, [new AgentChange(w.Owner.Agent("new").PublicKey, AgentRights.Prove), new AgentChange(w.Prover.PublicKey, AgentRights.Prove)]),
            ErrorCode.InvalidParameters);
        // Not even the owner spends a sequence number on nothing.
        w.H.Reject(w.Owner.Sign(new SetAgentPolicyPayload(Policy, [], null), w.H.Seq(w.Owner), w.Owner.Current), ErrorCode.InvalidParameters);
        w.H.Reject(w.Owner.Sign(new SetAgentPolicyPayload("empty", [], null), w.H.Seq(w.Owner), w.Owner.Current), ErrorCode.InvalidParameters);
    }

    [Fact]
    public void An_agent_may_make_only_the_changes_its_bits_allow()
    {
        using var w = new World();
        var newcomer = w.Owner.Agent("newcomer");
        w.H.Reject(w.By(w.Prover, [new AgentChange(newcomer.PublicKey, AgentRights.Prove)]), ErrorCode.NotAuthorized);
        w.H.Reject(w.By(w.Granter, [new AgentChange(newcomer.PublicKey, AgentRights.ProveGrant)]), ErrorCode.NotAuthorized);
        w.H.Reject(w.By(w.Granter, [new AgentChange(w.Prover.PublicKey, AgentRights.None)]), ErrorCode.NotAuthorized);
        w.H.Reject(w.By(w.Revoker, [new AgentChange(w.Granter.PublicKey, AgentRights.None)]), ErrorCode.NotAuthorized);
        w.H.Reject(w.By(w.Revoker, [], adminThreshold: 2), ErrorCode.NotAuthorized);
        w.H.Accept(w.By(w.Granter, [new AgentChange(newcomer.PublicKey, AgentRights.Prove)]));
        w.H.Accept(w.By(w.Revoker, [new AgentChange(newcomer.PublicKey, AgentRights.None)]));
        w.H.Accept(w.By(w.Prover, [new AgentChange(w.Prover.PublicKey, AgentRights.None)]));
    }

    [Fact]
    public void Signatures_that_do_not_count_cannot_ride_along()
    {
        using var w = new World();
        var newcomer = w.Owner.Agent("newcomer");
        var padded = w.Owner.Sign(new SetAgentPolicyPayload(Policy, [new AgentChange(newcomer.PublicKey, AgentRights.Prove)], null), w.H.Seq(w.Owner),
            [w.Granter, new Actor("stranger").Current[0]]);
        w.H.Reject(padded, ErrorCode.Malformed);
    }
}
