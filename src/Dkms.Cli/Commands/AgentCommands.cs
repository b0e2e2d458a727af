using System.CommandLine;
using System.Text.Json;
using Dkms.Cli.Infrastructure;
using Dkms.Core.Primitives;
using Dkms.Core.Transactions;
using Dkms.Wallet.Storage;

namespace Dkms.Cli.Commands;

/// <summary>What an agent hands a verifier: the signed statement and who signed it (JSON).</summary>
internal sealed record AgentProofDocument(string ChainId, string Owner, string PolicyId, string Action, string Nonce, string Agent, string Signature);

/// <summary><c>dkms agent …</c>: agent keys held by this wallet, and proving/verifying an agent's authorization.</summary>
internal static class AgentCommands
{
    private static readonly JsonSerializerOptions ProofJson = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static Command Build(AppCommands app)
    {
        var agent = new Command("agent", "Agent keys (devices, services) and authorization proofs");

        var name = new Argument<string>("name") { Description = "A name for the agent key (e.g. phone)" };
        var createId = IdentityCommands.IdentityOption();
        var create = new Command("create", "Derive a new agent key in this wallet and print its public key") { name, createId };
        agent.Subcommands.Add(app.Bind(create, (ctx, _) => CreateAsync(ctx, ctx.Get(name), ctx.Get(createId))));

        agent.Subcommands.Add(app.Bind(new Command("list", "List this wallet's agent keys"), (ctx, _) => ListAsync(ctx)));

        agent.Subcommands.Add(app.Bind(new Command("challenge", "Make a fresh random nonce for an agent to sign (verifier side)"), (ctx, _) => Challenge(ctx)));

        var proveAgent = new Option<string>("--agent") { Description = "The wallet agent key that signs", Required = true };
        var proveOwner = new Option<string>("--owner") { Description = "The owner whose policy authorizes the agent", Required = true };
        var provePolicy = new Option<string>("--policy") { Description = "Policy id", Required = true };
        var proveNonce = new Option<string>("--nonce") { Description = "The verifier's challenge (hex, from 'dkms agent challenge')", Required = true };
        var proveAction = new Option<string>("--action") { Description = "What the agent asks to do", Required = true };
        var proveOut = new Option<string?>("--out") { Description = "Write the proof to this file (default: stdout)" };
        var prove = new Command("prove", "Sign a verifier's challenge for an owner's policy and an action") { proveAgent, proveOwner, provePolicy, proveNonce, proveAction, proveOut };
        agent.Subcommands.Add(app.Bind(prove, (ctx, ct) => ProveAsync(ctx, ctx.Get(proveAgent), ctx.Get(proveOwner), ctx.Get(provePolicy), ctx.Get(proveNonce), ctx.Get(proveAction), ctx.Get(proveOut), ct)));

        var proof = new Argument<string>("proof") { Description = "The proof file ('-' for stdin is not supported: give a file)" };
        var verifyNonce = new Option<string>("--nonce") { Description = "The challenge you issued (hex)", Required = true };
        var verifyAction = new Option<string?>("--action") { Description = "The action you expect the proof to name" };
        var trustNode = new Option<bool>("--trust-node") { Description = "Ask the node (policy.check) instead of checking a state proof locally" };
        var verify = new Command("verify", "Check an agent's proof: signature, nonce, and its rights on the ledger (by default with a state proof against genesis)") { proof, verifyNonce, verifyAction, trustNode };
        agent.Subcommands.Add(app.Bind(verify, (ctx, ct) => VerifyAsync(ctx, ctx.Get(proof), ctx.Get(verifyNonce), ctx.Get(verifyAction), ctx.Get(trustNode), ct)));
        return agent;
    }

    private static async Task<int> CreateAsync(CommandContext ctx, string name, string? selector)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('/') || name.Length > 64) throw CliException.Usage("an agent name is 1..64 characters without '/'");
        using var wallet = await ctx.OpenWalletAsync().ConfigureAwait(false);
        if (wallet.Content.Identities.Any(i => i.Agents.Contains(name))) throw CliException.Usage($"this wallet already has an agent key '{name}'");
        IdentityEntry holder;
        if (selector is not null || wallet.Content.Identities.Any(i => !i.LocalOnly))
        {
            holder = WalletSupport.Select(wallet.Content, selector);
        }
        else
        {
            // A device that only acts as an agent holds its keys under a local, never registered entry.
            holder = wallet.Content.Identities.FirstOrDefault(i => i.LocalOnly) ?? wallet.Content.AddIdentity("agents");
            holder.LocalOnly = true;
        }

        holder.Agents.Add(name);
        using var signer = wallet.Master.AgentKey(holder.Number, name);
        wallet.Save();
        ctx.Emit(new { name, agent = signer.PublicKey.ToHex() }, o =>
        {
            o.WriteLine($"Agent key '{name}': {signer.PublicKey}");
            o.WriteLine($"Give this key to the owner: dkms policy grant --policy <id> --agent {signer.PublicKey} --rights Prove");
        });
        return ExitCodes.Ok;
    }

    private static async Task<int> ListAsync(CommandContext ctx)
    {
        using var wallet = await ctx.OpenWalletAsync().ConfigureAwait(false);
        var agents = wallet.Content.Identities.SelectMany(i => i.Agents.Select(a => (Holder: i, Name: a))).Select(x =>
        {
            using var s = wallet.Master.AgentKey(x.Holder.Number, x.Name);
            return new { name = x.Name, agent = s.PublicKey.ToHex(), holder = x.Holder.Label };
        }).ToArray();
        ctx.Emit(agents, o =>
        {
            if (agents.Length == 0) o.WriteLine("No agent keys.");
            foreach (var a in agents) o.WriteLine($"{a.name}: {a.agent}");
        });
        return ExitCodes.Ok;
    }

    private static Task<int> Challenge(CommandContext ctx)
    {
        var nonce = new byte[32];
        ctx.Env.Random.Fill(nonce);
        var hex = Convert.ToHexStringLower(nonce);
        ctx.Emit(new { nonce = hex }, o => o.WriteLine(hex));
        return Task.FromResult(ExitCodes.Ok);
    }

    private static async Task<int> ProveAsync(CommandContext ctx, string agentName, string ownerText, string policyId, string nonceHex, string action, string? output, CancellationToken ct)
    {
        var owner = WalletSupport.ParseId(ownerText, "owner");
        var nonce = ParseNonce(nonceHex);
        using var wallet = await ctx.OpenWalletAsync().ConfigureAwait(false);
        using var signer = WalletSupport.AgentSigner(wallet, agentName);
        var chainId = await ctx.ChainIdAsync(ct).ConfigureAwait(false);
        var statement = new AgentProofStatement(chainId, nonce, owner, policyId, action);
        var document = new AgentProofDocument(chainId, owner.ToString(), policyId, action, Convert.ToHexStringLower(nonce), signer.PublicKey.ToHex(),
            Convert.ToBase64String(statement.Sign(signer)));
        var json = JsonSerializer.Serialize(document, ProofJson);
        if (output is null)
        {
            ctx.Out.WriteLine(json);
        }
        else
        {
            Dkms.Wallet.AtomicFile.Write(ctx.ResolvePath(output), System.Text.Encoding.UTF8.GetBytes(json + "\n"));
            ctx.Emit(new { proof = ctx.ResolvePath(output), agent = document.Agent }, o => o.WriteLine($"Proof for '{action}' written to {output}."));
        }

        return ExitCodes.Ok;
    }

    private static async Task<int> VerifyAsync(CommandContext ctx, string proofFile, string nonceHex, string? expectedAction, bool trustNode, CancellationToken ct)
    {
        AgentProofDocument? doc;
        try
        {
            doc = JsonSerializer.Deserialize<AgentProofDocument>(ctx.ReadText(proofFile), ProofJson);
        }
        catch (JsonException e)
        {
            throw CliException.Usage($"'{proofFile}' is not an agent proof: {e.Message}");
        }

        if (doc is null || doc.Owner is null || doc.Agent is null || doc.Signature is null || doc.Nonce is null || doc.PolicyId is null || doc.Action is null || doc.ChainId is null)
        {
            throw CliException.Usage($"'{proofFile}' is not a complete agent proof");
        }

        var owner = WalletSupport.ParseId(doc.Owner, "owner");
        var agent = doc.Agent.Length == 64 && doc.Agent.All(Uri.IsHexDigit) ? PublicKey.ParseHex(doc.Agent) : throw Fail("the proof's agent key is not 64 hex digits");
        var nonce = ParseNonce(nonceHex);
        if (!string.Equals(doc.Nonce, Convert.ToHexStringLower(nonce), StringComparison.OrdinalIgnoreCase)) throw Fail("the proof answers another challenge (nonce differs): it may be a replay");
        if (expectedAction is not null && doc.Action != expectedAction) throw Fail($"the proof is for action '{doc.Action}', not '{expectedAction}'");
        var genesis = trustNode ? null : ctx.Genesis;
        var chainId = genesis?.ChainId ?? await ctx.ChainIdAsync(ct).ConfigureAwait(false);
        if (doc.ChainId != chainId) throw Fail($"the proof is for chain '{doc.ChainId}', not '{chainId}'");
        byte[] signature;
        try
        {
            signature = Convert.FromBase64String(doc.Signature);
        }
        catch (FormatException)
        {
            throw Fail("the proof's signature is not base64");
        }

        var statement = new AgentProofStatement(chainId, nonce, owner, doc.PolicyId, doc.Action);
        if (!statement.VerifySignature(agent, signature)) throw Fail("the signature does not verify: not signed by this agent key, or altered");

        AgentRights rights;
        ulong height;
        DateTimeOffset? blockTime = null;
        string method;
        if (genesis is null)
        {
            var check = await ctx.Client.CheckAuthorizationAsync(owner, doc.PolicyId, agent, AgentRights.Prove, null, ct).ConfigureAwait(false);
            if (!check.Authorized) throw Fail($"not authorized at height {check.Height}: {check.Reason}");
            rights = Enum.Parse<AgentRights>(check.Rights);
            height = check.Height;
            method = "node";
        }
        else
        {
            // The policy as of the latest block, then the owner at exactly that height: both proven, both the answer to the question asked.
            var proven = await ctx.VerifiedPolicyAsync(owner, doc.PolicyId, null, ct).ConfigureAwait(false);
            height = proven.Height;
            blockTime = proven.BlockTime;
            var provenIdentity = await ctx.VerifiedResolveAsync(owner, height, ct).ConfigureAwait(false);
            if (provenIdentity.Value is null) throw Fail($"{owner} does not exist at height {height}");
            if (provenIdentity.Value.Status == Dkms.Ledger.State.IdentityStatus.Deactivated) throw Fail($"{owner} is deactivated");
            if (proven.Value is null) throw Fail($"{owner} has no policy '{doc.PolicyId}' at height {height}");
            rights = proven.Value.RightsOf(agent);
            if ((rights & (AgentRights.Prove | AgentRights.Admin)) == 0) throw Fail($"agent {agent} holds no Prove right in '{doc.PolicyId}' at height {height} (rights: {rights})");
            method = "state-proof";
        }

        ctx.Emit(new { valid = true, owner = owner.ToString(), policyId = doc.PolicyId, action = doc.Action, agent = agent.ToHex(), rights = rights.ToString(), height, blockTime, method }, o =>
        {
            o.WriteLine($"VALID: agent {agent} may '{doc.Action}' for {owner} under policy '{doc.PolicyId}'");
            o.WriteLine($"  rights {rights} at height {height}, checked {(method == "node" ? "by the node (trusted)" : $"locally with a state proof and the genesis validator set (block time {blockTime:u})")}");
        });
        return ExitCodes.Ok;
    }

    private static CliException Fail(string message) => new(ExitCodes.VerificationFailed, $"INVALID: {message}", "ProofInvalid");

    private static byte[] ParseNonce(string hex)
    {
        if (hex.Length is < 16 or > 128 || hex.Length % 2 != 0 || !hex.All(Uri.IsHexDigit)) throw CliException.Usage("--nonce is 8..64 bytes of hex");
        return Convert.FromHexString(hex);
    }
}
