using Dkms.Core.Encoding;
using Dkms.Core.Primitives;
using Dkms.Core.Transactions;
using Dkms.Ledger;
using Dkms.Node.Status;
using Dkms.Rpc;

namespace Dkms.Node.Rpc;

/// <summary>The JSON-RPC methods of SPEC §6 (docs/rpc.md), registered from three handlers, each built on the narrow
/// view it needs (docs/architecture.md, "Who reads what"): queries on the read side, submissions on the submit side,
/// <c>node.status</c> on the published status.</summary>
public sealed class NodeRpc(QueryRpc query, SubmitRpc submit, StatusRpc status)
{
    public const int DefaultEventLimit = 100;
    public const int MaxEventLimit = 1_000;
    public const int DefaultCommitTimeoutMs = 30_000;
    public const int MaxBatchTransactions = 10_000;

    /// <summary>The code a result carries when the mempool was full (distinct from every ledger code).</summary>
    public const string MempoolFullCode = "MempoolFull";

    public QueryRpc Query => query;

    public SubmitRpc Submit => submit;

    public StatusRpc Status => status;

    public void Register(JsonRpcDispatcher d)
    {
        d.Add<SubmitParams, SubmitResult>(RpcMethods.Submit, submit.SubmitAsync);
        d.Add<SubmitBatchParams, SubmitResult[]>(RpcMethods.SubmitBatch, submit.SubmitBatchAsync);
        d.Add<HashParams, TxStatusResult>(RpcMethods.Status, (p, _) => Task.FromResult(submit.Status(p)));
        d.Add<EmptyParams, NodeStatusResult>(RpcMethods.NodeStatus, (_, _) => Task.FromResult(status.NodeStatus()));
        query.Register(d);
    }

    /// <summary>Methods without parameters accept an empty object, null or none.</summary>
    public sealed record EmptyParams;
}

/// <summary><c>node.status</c>: one published record (<see cref="INodeStatus"/>), never the consensus loop's fields.</summary>
public sealed class StatusRpc(INodeStatus status, string genesisHash)
{
    public NodeStatusResult NodeStatus()
    {
        // One published record: height, hash, time and root are of the same block, and the round is the loop's copy.
        var s = status.Current;
        return new(s.ChainId, s.NodeKey.ToHex(), s.Ledger.IsValidator, s.Ledger.Height, s.Consensus.Round, s.Ledger.StateRoot.ToHex(),
            s.Ledger.BlockHash.ToHex(), s.Ledger.BlockTimeMs, [.. s.Peers.Select(k => k.ToHex())], s.Pool.Transactions, s.Pool.Bytes,
            typeof(NodeRpc).Assembly.GetName().Version?.ToString() ?? "0", genesisHash, RoleName(s.Role));
    }

    /// <summary>The role as the wire names it (docs/rpc.md): <c>validator</c> or <c>observer</c>.</summary>
    internal static string RoleName(NodeRole role) => role == NodeRole.Observer ? "observer" : "validator";
}

/// <summary>The query methods: committed state, blocks, validators and proofs, all read through <see cref="ILedgerReads"/>
/// (the committed store and the ledger's head; nothing the consensus loop is working on).</summary>
public sealed partial class QueryRpc(ILedgerReads ledger)
{
    public void Register(JsonRpcDispatcher d)
    {
        d.Add<ResolveParams, ResolveResult>(RpcMethods.Resolve, (p, _) => Task.FromResult(Resolve(p)));
        d.Add<EventsParams, EventView[]>(RpcMethods.Events, (p, budget, _) => Task.FromResult(Events(p, budget)));
        d.Add<CheckKeyParams, CheckKeyResult>(RpcMethods.CheckKey, (p, _) => Task.FromResult(CheckKey(p)));
        d.Add<PolicyParams, PolicyResult>(RpcMethods.Policy, (p, _) => Task.FromResult(Policy(p)));
        d.Add<CheckAuthorizationParams, CheckAuthorizationResult>(RpcMethods.CheckAuthorization, (p, _) => Task.FromResult(CheckAuthorization(p)));
        d.Add<BlockParams, BlockResult>(RpcMethods.Block, (p, _) => Task.FromResult(Block(p)));
        d.Add<ValidatorsParams, ValidatorsResult>(RpcMethods.Validators, (p, _) => Task.FromResult(Validators(p)));
        d.Add<ValidatorHistoryParams, ValidatorHistoryResult>(RpcMethods.ValidatorHistory, (p, _) => Task.FromResult(ValidatorHistory(p)));
    }

    public ResolveResult Resolve(ResolveParams p)
    {
        var id = ParseIdentity(p.Id, "id");
        var height = ParseHeight(p.Height);
        if (!p.Proof)
        {
            var state = ledger.GetIdentityAt(id, height);
            return new(id.ToString(), height, state is null ? null : Views.Identity(state), null);
        }

        var proven = ledger.ProveIdentity(id, height) ?? throw NoProofAt(height);
        var view = proven.Value is null ? null : Views.Identity(Codec.Decode<Ledger.State.IdentityState>(proven.Value));
        return new(id.ToString(), height, view, ProofView(proven));
    }

    /// <summary>
    /// One page of an identity's events, oldest first: from <c>fromSequence</c> (default 1), at most <c>limit</c>. The ledger
    /// reads the page and fewer than <see cref="Ledger.State.StateKeys.CheckpointInterval"/> events more, so paging forward
    /// costs the same on every page; the events are charged to the request's budget before they are read.
    /// </summary>
    public EventView[] Events(EventsParams p, RequestBudget? budget = null)
    {
        var id = ParseIdentity(p.Id, "id");
        var limit = p.Limit ?? NodeRpc.DefaultEventLimit;
        if (limit is <= 0 or > NodeRpc.MaxEventLimit) throw new RpcError(RpcErrorCodes.InvalidParams, $"limit must be 1..{NodeRpc.MaxEventLimit}");
        var from = Math.Max(p.FromSequence ?? 1, 1);
        var identity = ledger.GetIdentity(id) ?? throw new RpcError(RpcErrorCodes.NotFound, $"identity {id} does not exist");
        // The page is known before anything is read: the state says how many events there are (a commit meanwhile
        // adds newer ones, never changes these).
        if (from > identity.Sequence) return [];
        var count = (int)Math.Min((ulong)limit, identity.Sequence - from + 1);
        (budget ?? new RequestBudget()).TakeEvents(count);
        return [.. ledger.GetEvents(id, from, count).Select(Views.Event)];
    }

    public CheckKeyResult CheckKey(CheckKeyParams p)
    {
        var id = ParseIdentity(p.Id, "id");
        var key = ParseKey(p.Key, "key");
        var height = ParseHeight(p.Height);
        return new(id.ToString(), key.ToHex(), height, ledger.CheckSigningKey(id, key, height).ToString());
    }

    public PolicyResult Policy(PolicyParams p)
    {
        var owner = ParseIdentity(p.Owner, "owner");
        CheckPolicyId(p.PolicyId);
        var height = ParseHeight(p.Height);
        if (!p.Proof)
        {
            var policy = ledger.GetPolicyAt(owner, p.PolicyId, height);
            return new(owner.ToString(), p.PolicyId, height, policy is null ? null : Views.Policy(policy), null);
        }

        var proven = ledger.ProvePolicy(owner, p.PolicyId, height) ?? throw NoProofAt(height);
        var view = proven.Value is null ? null : Views.Policy(Codec.Decode<Ledger.State.AgentPolicy>(proven.Value));
        return new(owner.ToString(), p.PolicyId, height, view, ProofView(proven));
    }

    public CheckAuthorizationResult CheckAuthorization(CheckAuthorizationParams p)
    {
        var owner = ParseIdentity(p.Owner, "owner");
        CheckPolicyId(p.PolicyId);
        var agent = ParseKey(p.Agent, "agent");
        if (!Enum.TryParse<AgentRights>(p.Rights, ignoreCase: true, out var rights) || (rights & ~AgentRights.All) != 0 || rights == AgentRights.None)
        {
            throw new RpcError(RpcErrorCodes.InvalidParams, $"rights '{p.Rights}' are not a combination of {string.Join(", ", Enum.GetNames<AgentRights>().Where(n => n is not "None" and not "All"))}");
        }

        var height = ParseHeight(p.Height);
        var r = ledger.CheckAuthorization(owner, p.PolicyId, agent, rights, height);
        return new(r.Authorized, r.Rights.ToString(), r.Reason, height);
    }

    public BlockResult Block(BlockParams p)
    {
        if (p.Height == 0 || p.Height > ledger.Height) throw new RpcError(RpcErrorCodes.NotFound, $"no block at height {p.Height}; the chain is at {ledger.Height}");
        if (!ledger.TryGetBlock(p.Height, out var block, out var cert)) throw new RpcError(RpcErrorCodes.NotFound, $"block {p.Height} is not stored");
        var h = block.Header;
        return new(h.Height, block.Hash.ToHex(), h.Round, h.PreviousHash.ToHex(), h.TransactionRoot.ToHex(), h.StateRoot.ToHex(), h.Proposer.ToHex(),
            h.TimestampMs, [.. block.Transactions.Select(t => TransactionCodec.TryIdentify(t, out var id) ? id.ToHex() : "")], Convert.ToBase64String(Codec.Encode(h)), Convert.ToBase64String(Codec.Encode(cert)));
    }

    public ValidatorsResult Validators(ValidatorsParams p)
    {
        // Set and sequence from one snapshot (DkmsLedger.CommittedValidators): a change is built on both.
        var committed = ledger.CommittedValidators(p.Height)
            ?? throw new RpcError(RpcErrorCodes.HeightUnavailable, $"the validator set is known up to height {ledger.Height + 1}");
        return new(committed.At, [.. committed.Set.Select(v => new ValidatorView(v.NodeKey.ToHex(), v.Address, v.Power))], committed.Sequence);
    }

    private StateProofView ProofView(ProvenValue proven)
    {
        var anchor = ledger.Anchor(proven.Height)
            ?? throw new RpcError(RpcErrorCodes.HeightUnavailable, $"height {proven.Height} has no certified block to anchor a proof (ask for a height of at least 1)");
        return new(proven.Height, proven.StateRoot.ToHex(), Convert.ToHexStringLower(proven.Key), proven.Value is null ? null : Convert.ToBase64String(proven.Value),
            Convert.ToBase64String(Codec.Encode(proven.Proof)), anchor.Header, anchor.Certificate);
    }

    private RpcError NoProofAt(ulong height) =>
        new(RpcErrorCodes.HeightUnavailable, $"proofs are kept for the last {ledger.ProofHistoryHeights} heights; {height} is not among them");

    private ulong ParseHeight(ulong? height)
    {
        var latest = ledger.Height;
        var h = height ?? latest;
        if (h > latest) throw new RpcError(RpcErrorCodes.HeightUnavailable, $"height {h} is beyond the chain's height {latest}");
        return h;
    }

    private static void CheckPolicyId(string? policyId)
    {
        if (string.IsNullOrEmpty(policyId) || policyId.Length > Limits.MaxNameLength) throw new RpcError(RpcErrorCodes.InvalidParams, $"policyId must be 1..{Limits.MaxNameLength} characters");
    }

    internal static IdentityId ParseIdentity(string? text, string name) =>
        IdentityId.TryParse(text, out var id) ? id : throw new RpcError(RpcErrorCodes.InvalidParams, $"{name} '{text}' is not a did:dkms identifier");

    internal static Hash32 ParseHash(string? text, string name)
    {
        if (text is { Length: 64 } && TryHex(text, out var bytes)) return new Hash32(bytes);
        throw new RpcError(RpcErrorCodes.InvalidParams, $"{name} must be 64 hex characters");
    }

    internal static PublicKey ParseKey(string? text, string name)
    {
        if (text is { Length: 64 } && TryHex(text, out var bytes)) return new PublicKey(bytes);
        throw new RpcError(RpcErrorCodes.InvalidParams, $"{name} must be a 32-byte public key in 64 hex characters");
    }

    private static bool TryHex(string text, out byte[] bytes)
    {
        bytes = new byte[text.Length / 2];
        return Convert.FromHexString(text, bytes, out _, out var written) == System.Buffers.OperationStatus.Done && written == bytes.Length;
    }
}
