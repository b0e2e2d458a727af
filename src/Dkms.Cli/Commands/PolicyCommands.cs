using System.CommandLine;
using Dkms.Cli.Infrastructure;
using Dkms.Client;
using Dkms.Core.Crypto;
using Dkms.Core.Primitives;
using Dkms.Core.Transactions;
using Dkms.Rpc;
using Dkms.Wallet.Storage;

namespace Dkms.Cli.Commands;

/// <summary><c>dkms policy …</c>: an owner's agent authorization policies.</summary>
internal static class PolicyCommands
{
    public static Command Build(AppCommands app)
    {
        var policy = new Command("policy", "Agent authorization policies: which agent keys may act for an owner");

        var showOwner = new Option<string?>("--owner") { Description = "The policy's owner (default: the wallet's identity)" };
        var showId = new Option<string>("--policy") { Description = "Policy id", Required = true };
        var showVerify = new Option<bool>("--verify") { Description = "Check the answer locally with a state proof against the genesis validators" };
        var show = new Command("show", "Show a policy's agents and their rights") { showOwner, showId, showVerify };
        policy.Subcommands.Add(app.Bind(show, (ctx, ct) => ShowAsync(ctx, ctx.Get(showOwner), ctx.Get(showId), ctx.Get(showVerify), ct)));

        policy.Subcommands.Add(BuildChange(app, grant: true));
        policy.Subcommands.Add(BuildChange(app, grant: false));
        return policy;
    }

    private static Command BuildChange(AppCommands app, bool grant)
    {
        var owner = new Option<string?>("--owner") { Description = "The policy's owner (default: the wallet's identity)" };
        var identity = IdentityCommands.IdentityOption();
        var policyId = new Option<string>("--policy") { Description = "Policy id", Required = true };
        var agent = new Option<string>("--agent") { Description = "The agent: its public key (hex) or the name of an agent key in this wallet", Required = true };
        var rights = new Option<string?>("--rights")
        {
            Description = grant
                ? "Rights to add, comma separated: Admin, Prove, ProveGrant, ProveRevoke (default Prove)"
                : "Rights to remove (default: all of them; the agent leaves the policy)",
        };
        var adminThreshold = new Option<int?>("--admin-threshold") { Description = "Also set how many Admin agents must sign changes" };
        var asAgent = new Option<string?>("--as-agent") { Description = "Sign with this wallet agent key (on the owner's behalf) instead of the owner's keys" };
        var submit = new SubmitOptions();
        var command = submit.AddTo(new Command(grant ? "grant" : "revoke", grant ? "Give an agent rights in a policy (creates the policy)" : "Take rights from an agent, or remove it")
        {
            owner, identity, policyId, agent, rights, adminThreshold, asAgent,
        });
        return app.Bind(command, (ctx, ct) => ChangeAsync(ctx, new ChangeArgs(grant, ctx.Get(owner), ctx.Get(identity), ctx.Get(policyId), ctx.Get(agent),
            ctx.Get(rights), ctx.Get(adminThreshold), ctx.Get(asAgent)), submit, ct));
    }

    internal sealed record ChangeArgs(bool Grant, string? Owner, string? Identity, string PolicyId, string Agent, string? Rights, int? AdminThreshold, string? AsAgent);

    public static AgentRights ParseRights(string text)
    {
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var rights = AgentRights.None;
        foreach (var p in parts)
        {
            if (!Enum.TryParse<AgentRights>(p, ignoreCase: true, out var r) || !Enum.IsDefined(r) || int.TryParse(p, out _))
            {
                throw CliException.Usage($"unknown right '{p}': use Admin, Prove, ProveGrant, ProveRevoke");
            }

            rights |= r;
        }

        return rights;
    }

    private static async Task<int> ShowAsync(CommandContext ctx, string? ownerText, string policyId, bool verify, CancellationToken ct)
    {
        var owner = ownerText is not null ? WalletSupport.ParseId(ownerText, "owner") : await OwnIdentityAsync(ctx, null).ConfigureAwait(false);
        PolicyView? policy;
        ulong height;
        if (verify)
        {
            var proven = await ctx.VerifiedPolicyAsync(owner, policyId, null, ct).ConfigureAwait(false);
            policy = proven.Value is null ? null : Views.Policy(proven.Value);
            height = proven.Height;
        }
        else
        {
            var result = await ctx.Client.PolicyAsync(owner, policyId, null, false, ct).ConfigureAwait(false);
            if (result.Owner != owner.ToString() || result.PolicyId != policyId)
            {
                throw new CliException(ExitCodes.VerificationFailed, $"the node answered about policy '{result.PolicyId}' of {result.Owner}, not the question asked", "NotWhatWasAsked");
            }

            policy = result.Policy;
            height = result.Height;
        }

        ctx.Emit(new { owner = owner.ToString(), policyId, height, policy, verified = verify }, o =>
        {
            o.WriteLine($"Policy '{policyId}' of {owner} at height {height}{(verify ? " (verified)" : "")}");
            if (policy is null)
            {
                o.WriteLine("  does not exist");
                return;
            }

            o.WriteLine($"  admin threshold {policy.AdminThreshold}, updated at height {policy.UpdatedAtHeight}");
            foreach (var a in policy.Agents) o.WriteLine($"  {a.Agent}: {a.Rights}");
        });
        return policy is null ? ExitCodes.NotFound : ExitCodes.Ok;
    }

    private static async Task<int> ChangeAsync(CommandContext ctx, ChangeArgs a, SubmitOptions submit, CancellationToken ct)
    {
        using var wallet = await ctx.OpenWalletAsync().ConfigureAwait(false);
        var agent = WalletSupport.ParseAgent(wallet, a.Agent);
        IdentityEntry? ownerEntry = null;
        IdentityId owner;
        if (a.Owner is not null)
        {
            owner = WalletSupport.ParseId(a.Owner, "owner");
            ownerEntry = wallet.Content.Identities.FirstOrDefault(i => i.IdentityId == owner.ToString() && !i.RecoveryPending);
        }
        else
        {
            ownerEntry = WalletSupport.Select(wallet.Content, a.Identity);
            owner = WalletSupport.RequireId(ownerEntry);
        }

        var rights = a.Rights is null ? (a.Grant ? AgentRights.Prove : AgentRights.All) : ParseRights(a.Rights);
        var view = await WalletSupport.ResolveAsync(ctx.Client, owner, ct).ConfigureAwait(false);
        // The change names the agent's whole new rights, computed from its current ones: those must be proven, or a
        // lying node that claims the agent already is an Admin gets Admin signed into the grant of a smaller right.
        var current = (await ctx.VerifiedPolicyAsync(owner, a.PolicyId, null, ct).ConfigureAwait(false)).Value?.RightsOf(agent) ?? AgentRights.None;
        var updated = a.Grant ? current | rights : current & ~rights;

        var signers = new List<Ed25519Signer>();
        try
        {
            if (a.AsAgent is not null)
            {
                signers.Add(WalletSupport.AgentSigner(wallet, a.AsAgent));
            }
            else
            {
                if (ownerEntry is null) throw CliException.Usage($"this wallet does not hold {owner}'s keys: sign as one of its agents with --as-agent");
                WalletSupport.CheckInSync(wallet.Master, ownerEntry, view);
                signers.AddRange(WalletSupport.Current(wallet.Master, ownerEntry));
            }

            var chainId = ownerEntry?.ChainId ?? await ctx.ChainIdAsync(ct).ConfigureAwait(false);
            var tx = new TransactionBuilder(chainId).SetAgentPolicy(owner, view.Sequence + 1, a.PolicyId, [new AgentChange(agent, updated)], a.AdminThreshold,
                signers.Select(s => ((ISigner)s, (IdentityId?)null)));
            var result = await ctx.SubmitAsync(tx, submit, ct).ConfigureAwait(false);
            ctx.Emit(new { owner = owner.ToString(), policyId = a.PolicyId, agent = agent.ToHex(), before = current.ToString(), after = updated.ToString(), tx = IdentityCommands.Tx(result) }, o =>
            {
                o.WriteLine(updated == AgentRights.None
                    ? $"Removed agent {agent} from policy '{a.PolicyId}' of {owner} (it had {current})."
                    : $"Agent {agent} in policy '{a.PolicyId}' of {owner}: {current} -> {updated}");
                IdentityCommands.WriteTx(o, result);
            });
            return ExitCodes.Ok;
        }
        finally
        {
            foreach (var s in signers) s.Dispose();
        }
    }

    private static async Task<IdentityId> OwnIdentityAsync(CommandContext ctx, string? selector)
    {
        using var wallet = await ctx.OpenWalletAsync().ConfigureAwait(false);
        return WalletSupport.RequireId(WalletSupport.Select(wallet.Content, selector));
    }
}
