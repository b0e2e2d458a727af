using System.Reflection;
using Dkms.Core.Blocks;
using Dkms.Core.Crypto;
using Dkms.Core.Encoding;
using Dkms.Core.Primitives;
using Dkms.Core.Transactions;
using Dkms.Ledger;
using Dkms.Ledger.State;
using Dkms.Node.Rpc;
using Dkms.Rpc;

namespace Dkms.Node.Tests.Rpc;

/// <summary>
/// Issue 18 item 3: the RPC handlers are built on narrow views (docs/architecture.md, "Who reads what"), never on the
/// node. The query handlers run here on an in-memory read side over a ledger that a simulated chain committed — no
/// <see cref="ValidatorNode"/> exists — and answer only from the view they were given.
/// </summary>
public sealed class NarrowRpcSideTests
{
    private static Ed25519Signer Key(string label) => Ed25519Signer.FromSeed(Hash32.Sha256(System.Text.Encoding.UTF8.GetBytes(label)).ToArray());

    private static (Transaction Tx, IdentityId Id) Inception(string name)
    {
        var current = Key(name + "/0");
        var payload = new InceptionPayload(new KeyConfig([current.PublicKey], 1, [Key(name + "/1").PublicKey.Digest()], 1), [], null);
        var id = TransactionCodec.DeriveIdentity(payload);
        return (TransactionCodec.Sign(new TxBody(LedgerNet.ChainId, id, 1, payload), [(current, null)]), id);
    }

    private static ILedgerReads ReadSideOf(Node.Consensus.LedgerApplication app) =>
        new LedgerReadSide(app.Ledger, app, new ProofAnchors(app.Ledger.Options.ProofHistoryHeights + 2,
            h => app.TryGetCommitted(h, out var block, out var certificate) ? ProofAnchor.Of(block.Header, certificate) : null));

    [Fact]
    public void Query_handlers_answer_from_an_in_memory_read_side_without_a_node()
    {
        using var net = new LedgerNet(n: 1, running: 1, seed: 7);
        var (tx, id) = Inception("narrow-alice");
        net.Submit(tx);
        var app = net.Apps[0];
        Assert.True(net.RunUntil(() => app.Ledger.GetIdentity(id) is not null, TimeSpan.FromSeconds(10)));

        var query = new QueryRpc(ReadSideOf(app));
        var resolved = query.Resolve(new ResolveParams(id.ToString(), null, Proof: true));
        Assert.Equal(app.Ledger.Height, resolved.Height);
        Assert.Equal(1UL, resolved.Identity!.Sequence);
        // The proof's anchor is the certified header of the proven height, as the read side stored it.
        Assert.True(app.TryGetCommitted(resolved.Proof!.Height, out var block, out _));
        Assert.Equal(block.Header.StateRoot.ToHex(), resolved.Proof.StateRoot);
        Assert.Equal(Convert.ToBase64String(Codec.Encode(block.Header)), resolved.Proof.Header);

        var blockAnswer = query.Block(new BlockParams(block.Height));
        Assert.Equal(block.Hash.ToHex(), blockAnswer.Hash);
    }

    [Fact]
    public void Query_handlers_see_only_the_view_they_were_given()
    {
        using var net = new LedgerNet(n: 1, running: 1, seed: 8);
        var (first, firstId) = Inception("narrow-first");
        net.Submit(first);
        var app = net.Apps[0];
        Assert.True(net.RunUntil(() => app.Ledger.GetIdentity(firstId) is not null, TimeSpan.FromSeconds(10)));
        var pinned = app.Ledger.Height;
        var (second, secondId) = Inception("narrow-second");
        net.Submit(second);
        Assert.True(net.RunUntil(() => app.Ledger.GetIdentity(secondId) is not null, TimeSpan.FromSeconds(10)));
        Assert.True(app.Ledger.Height > pinned);

        // A read side whose latest height is an earlier one: the handler's "latest" is the view's, not the ledger's.
        var query = new QueryRpc(new PinnedReads(ReadSideOf(app), pinned));
        var resolved = query.Resolve(new ResolveParams(secondId.ToString(), null, Proof: false));
        Assert.Equal(pinned, resolved.Height);
        Assert.Null(resolved.Identity);
        var beyond = Assert.Throws<RpcError>(() => query.Resolve(new ResolveParams(firstId.ToString(), pinned + 1, Proof: false)));
        Assert.Equal(RpcErrorCodes.HeightUnavailable, beyond.Code);
        Assert.Throws<RpcError>(() => query.Block(new BlockParams(pinned + 1)));
    }

    [Fact]
    public void No_rpc_handler_is_built_on_or_calls_into_the_node()
    {
        const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        var offenders = new List<string>();
        foreach (var type in typeof(NodeHost).Assembly.GetTypes().Where(t => t.Namespace == "Dkms.Node.Rpc"))
        {
            offenders.AddRange(type.GetFields(all).Where(f => f.FieldType == typeof(ValidatorNode)).Select(f => $"{type.Name} holds a ValidatorNode ({f.Name})"));
            foreach (var method in type.GetMethods(all).Cast<MethodBase>().Concat(type.GetConstructors(all)))
            {
                if (method.GetParameters().Any(p => p.ParameterType == typeof(ValidatorNode))) offenders.Add($"{type.Name}.{method.Name} takes a ValidatorNode");
                foreach (var called in NodeStatusSnapshotTests.CalledMethods(method))
                {
                    if (called.DeclaringType == typeof(ValidatorNode)) offenders.Add($"{type.Name}.{method.Name} calls ValidatorNode.{called.Name}");
                }
            }
        }

        Assert.True(offenders.Count == 0, string.Join("\n", offenders.Distinct()));
    }

    /// <summary>A read side frozen at one height: what a handler would see if the ledger had stopped there.</summary>
    private sealed class PinnedReads(ILedgerReads inner, ulong height) : ILedgerReads
    {
        public ulong Height => height;

        public int ProofHistoryHeights => inner.ProofHistoryHeights;

        public IdentityState? GetIdentity(IdentityId id) => inner.GetIdentityAt(id, height);

        public IdentityState? GetIdentityAt(IdentityId id, ulong at) => inner.GetIdentityAt(id, Math.Min(at, height));

        public IReadOnlyList<EventRecord> GetEvents(IdentityId id, ulong fromSequence, int limit) => inner.GetEvents(id, fromSequence, limit);

        public KeyValidity CheckSigningKey(IdentityId id, PublicKey key, ulong at) => inner.CheckSigningKey(id, key, at);

        public AgentPolicy? GetPolicyAt(IdentityId owner, string policyId, ulong at) => inner.GetPolicyAt(owner, policyId, at);

        public AuthorizationResult CheckAuthorization(IdentityId owner, string policyId, PublicKey agent, AgentRights rights, ulong at) =>
            inner.CheckAuthorization(owner, policyId, agent, rights, at);

        public TxLocation? GetTransaction(Hash32 hash) => inner.GetTransaction(hash) is { } l && l.Height <= height ? l : null;

        public HeightRecord? GetHeight(ulong at) => at <= height ? inner.GetHeight(at) : null;

        public CommittedValidatorSet? CommittedValidators(ulong? at) => inner.CommittedValidators(at ?? height);

        public IReadOnlyList<ProvenValue> ValidatorChanges(ulong afterSequence, int limit, out bool complete) => inner.ValidatorChanges(afterSequence, limit, out complete);

        public IReadOnlyList<ProvenValue> NewestValidatorChange(ulong afterSequence, out bool complete) => inner.NewestValidatorChange(afterSequence, out complete);

        public ProvenValue? ProveIdentity(IdentityId id, ulong at) => inner.ProveIdentity(id, at);

        public ProvenValue? ProvePolicy(IdentityId owner, string policyId, ulong at) => inner.ProvePolicy(owner, policyId, at);

        public bool TryGetBlock(ulong at, out Block block, out CommitCertificate certificate) => inner.TryGetBlock(at, out block, out certificate);

        public ProofAnchor? Anchor(ulong at) => inner.Anchor(at);
    }
}
