using Dkms.Core.Primitives;
using Dkms.Core.Transactions;
using Dkms.Ledger.State;

namespace Dkms.Ledger.Rules;

/// <summary>
/// Agent authorization policies (SPEC §3). The owner's signing threshold may do anything. Otherwise
/// every change is checked on its own, as the bits it adds and the bits it removes, against the
/// agents that signed; a change to an existing agent is judged exactly like a new grant, so no
/// agent can rewrite another agent's bits beyond its own authority, and none can raise its own.
/// </summary>
internal static class AgentPolicyRules
{
    public static Verdict Set(in RuleContext c, IdentityState owner, SetAgentPolicyPayload p)
    {
        var tx = c.Tx;
        if (p.Changes.Select(ch => ch.Agent).Distinct().Count() != p.Changes.Length) return Validate.Invalid("each agent may appear once per change");
        if (p.Changes.Any(ch => (ch.Rights & ~AgentRights.All) != 0)) return Validate.Invalid("unknown authorization bits");
        if (p.Changes.Any(ch => ch.Agent.IsZero)) return Validate.Invalid("an agent key is all zeros");
        if (p.AdminThreshold is { } t && (t < 1 || t > Limits.MaxPolicyAgents))
        {
            return Validate.Invalid($"admin threshold must be between 1 and {Limits.MaxPolicyAgents}");
        }

        var current = c.State.GetPolicy(owner.Id, p.PolicyId);
        // A change that changes nothing would still spend one of the owner's sequence numbers (and whoever holds a
        // stolen agent key could spend them all, making the owner's own signed transactions fail): refused.
        if (NoOp(current, p) is { } nothing) return Validate.Invalid(nothing);

        var byOwner = Signers.MeetsCurrentThreshold(tx, owner);
        if (current is null && !byOwner)
        {
            return Verdict.Reject(ErrorCode.NotAuthorized, $"only the owner's signing threshold can create policy '{p.PolicyId}'");
        }

        var policy = current ?? new AgentPolicy(owner.Id, p.PolicyId, 1, [], c.Height);
        if (!byOwner)
        {
            var denied = CheckAgentAuthority(tx, policy, p);
            if (denied is { } why) return Verdict.Reject(ErrorCode.NotAuthorized, why);
        }

        var agents = policy.Agents.ToDictionary(a => a.Agent, a => a.Rights);
        foreach (var ch in p.Changes)
        {
            if (ch.Rights == AgentRights.None) agents.Remove(ch.Agent);
            else agents[ch.Agent] = ch.Rights;
        }

        if (agents.Count > Limits.MaxPolicyAgents) return Verdict.Reject(ErrorCode.LimitExceeded, $"a policy holds at most {Limits.MaxPolicyAgents} agents");

        var sorted = agents.Select(kv => new AgentEntry(kv.Key, kv.Value)).OrderBy(a => a.Agent).ToArray();
        var next = policy with { Agents = sorted, AdminThreshold = p.AdminThreshold ?? policy.AdminThreshold, UpdatedAtHeight = c.Height };
        return Verdict.Accept(new Effects(owner, Policy: next));
    }

    /// <summary>Why <paramref name="p"/> (or a part of it) would change nothing in <paramref name="current"/>; null when every part changes something.</summary>
    private static string? NoOp(AgentPolicy? current, SetAgentPolicyPayload p)
    {
        if (current is null)
        {
            if (!p.Changes.Any(ch => ch.Rights != AgentRights.None)) return $"a new policy '{p.PolicyId}' needs at least one agent";
            var absent = p.Changes.FirstOrDefault(ch => ch.Rights == AgentRights.None);
            return absent is null ? null : $"agent {absent.Agent} is not in the new policy '{p.PolicyId}': nothing to remove";
        }

        if (p.Changes.Length == 0 && p.AdminThreshold is null) return "the change lists no agent and no admin threshold: it changes nothing";
        if (p.AdminThreshold is { } t && t == current.AdminThreshold) return $"the admin threshold is already {t}";
        var same = p.Changes.FirstOrDefault(ch => current.RightsOf(ch.Agent) == ch.Rights);
        return same is null ? null : $"agent {same.Agent} already holds {same.Rights} in policy '{p.PolicyId}': the change changes nothing";
    }

    /// <summary>Null when the signing agents may make every change of <paramref name="p"/>; otherwise why not.</summary>
    private static string? CheckAgentAuthority(Transaction tx, AgentPolicy policy, SetAgentPolicyPayload p)
    {
        // Only keys that are agents of this policy right now carry any authority.
        var signers = Signers.OwnBehalfKeys(tx).Where(k => policy.RightsOf(k) != AgentRights.None).ToList();
        if (signers.Count == 0) return "neither the owner's signing threshold nor any agent of this policy signed";

        if (p.AdminThreshold is { } t && t != policy.AdminThreshold && !AdminQuorum(policy, signers, exclude: null))
        {
            return $"changing the admin threshold needs {policy.AdminThreshold} Admin agents";
        }

        foreach (var ch in p.Changes)
        {
            var old = policy.RightsOf(ch.Agent);
            var added = ch.Rights & ~old;
            var removed = old & ~ch.Rights;

            if (added != AgentRights.None && !MayAdd(policy, signers, ch.Agent, added))
            {
                return signers.Contains(ch.Agent) && signers.Count == 1
                    ? $"agent {ch.Agent} cannot raise its own rights"
                    : $"the signing agents may not grant {added} to {ch.Agent}";
            }

            if (removed != AgentRights.None && !MayRemove(policy, signers, ch.Agent, removed))
            {
                return $"the signing agents may not remove {removed} from {ch.Agent}";
            }
        }

        return null;
    }

    private static bool MayAdd(AgentPolicy policy, List<PublicKey> signers, PublicKey target, AgentRights added)
    {
        // Whoever receives the bits never counts towards granting them: no agent raises its own bits.
        if (AdminQuorum(policy, signers, exclude: target)) return true;
        return added == AgentRights.Prove && signers.Any(s => s != target && policy.RightsOf(s).HasFlag(AgentRights.ProveGrant));
    }

    private static bool MayRemove(AgentPolicy policy, List<PublicKey> signers, PublicKey target, AgentRights removed)
    {
        if (signers.Contains(target)) return true; // an agent may always give up its own bits
        if (AdminQuorum(policy, signers, exclude: null)) return true;
        return removed == AgentRights.Prove && signers.Any(s => policy.RightsOf(s).HasFlag(AgentRights.ProveRevoke));
    }

    private static bool AdminQuorum(AgentPolicy policy, List<PublicKey> signers, PublicKey? exclude) =>
        signers.Count(s => s != exclude && policy.RightsOf(s).HasFlag(AgentRights.Admin)) >= policy.AdminThreshold;
}
