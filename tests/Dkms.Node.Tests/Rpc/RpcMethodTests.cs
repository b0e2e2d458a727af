using System.Net;
using System.Text.Json;
using Dkms.Client;
using Dkms.Core.Blocks;
using Dkms.Core.Crypto;
using Dkms.Core.Encoding;
using Dkms.Core.Primitives;
using Dkms.Core.Transactions;
using Dkms.Node.Testing;
using Dkms.Node.Tests.Support;
using Dkms.Rpc;

namespace Dkms.Node.Tests.Rpc;

/// <summary>One four-validator testnet shared by the tests of <see cref="RpcMethodTests"/>; each test uses its own identities.</summary>
public sealed class RpcTestnetFixture : IAsyncLifetime
{
    public InProcessTestnet Net { get; private set; } = null!;

    public DkmsRpcClient Client { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    public TransactionBuilder Builder { get; } = new(InProcessTestnet.ChainId);

    public async Task InitializeAsync()
    {
        Net = await InProcessTestnet.StartAsync(4);
        Http = new HttpClient { BaseAddress = Net.RpcEndpoints[0], Timeout = TimeSpan.FromSeconds(60) };
        Client = new DkmsRpcClient(Http);
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        Http.Dispose();
        await Net.DisposeAsync();
    }
}

/// <summary>Every JSON-RPC method and HTTP endpoint of the node, through the typed client and raw HTTP.</summary>
public sealed class RpcMethodTests(RpcTestnetFixture fixture) : IClassFixture<RpcTestnetFixture>
{
    private const int CommitWaitMs = 30_000;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private readonly InProcessTestnet _net = fixture.Net;
    private readonly DkmsRpcClient _client = fixture.Client;
    private readonly HttpClient _http = fixture.Http;

    private TestIdentity Person(string name) => new($"{nameof(RpcMethodTests)}/{name}", fixture.Builder);

    private async Task<SubmitResult> CommitAsync(Transaction tx)
    {
        var r = await _client.SubmitAsync(tx, SubmitModes.Commit, CommitWaitMs);
        Assert.Equal(TxStatuses.Committed, r.Status);
        return r;
    }

    private static async Task<T> EventuallyAsync<T>(Func<Task<T>> read, Func<T, bool> done)
    {
        var deadline = DateTime.UtcNow + Deadline;
        while (true)
        {
            var value = await read();
            if (done(value) || DateTime.UtcNow > deadline) return value;
            await Task.Delay(20);
        }
    }

    private static PublicKey KeyOf(string seed) => Ed25519Signer.FromSeed(Hash32.Sha256(System.Text.Encoding.UTF8.GetBytes(seed)).ToArray()).PublicKey;

    // ---- tx.submit ----

    [Fact]
    public async Task Submit_in_commit_mode_answers_with_the_height_and_index_of_the_block()
    {
        var alice = Person("commit");
        var tx = alice.Incept();

        var r = await _client.SubmitAsync(tx, SubmitModes.Commit, CommitWaitMs);

        Assert.Equal(TxStatuses.Committed, r.Status);
        Assert.Equal(tx.Hash.ToHex(), r.Hash);
        var location = _net.Node(0).Ledger.GetTransaction(tx.Hash);
        Assert.NotNull(location);
        Assert.Equal(location.Height, r.Height);
        Assert.Equal(location.Index, r.Index);
        Assert.Null(r.Code);
    }

    [Fact]
    public async Task Submit_in_sync_mode_answers_after_validation_and_the_transaction_then_commits()
    {
        var tx = Person("sync").Incept();

        var r = await _client.SubmitAsync(tx, SubmitModes.Sync);

        Assert.Equal(tx.Hash.ToHex(), r.Hash);
        Assert.Contains(r.Status, new[] { TxStatuses.Pending, TxStatuses.Committed });
        var status = await EventuallyAsync(() => _client.StatusAsync(tx.Hash), s => s.Status == TxStatuses.Committed);
        Assert.Equal(TxStatuses.Committed, status.Status);
    }

    /// <summary>What tells sync from async is that sync checks a transaction before it answers: a transaction with a bad
    /// signature is refused in the answer itself, where async queues it and answers "pending" (shown here with a second
    /// such transaction, so the test proves it can tell the two apart). A valid transaction answers "pending" in both.</summary>
    [Fact]
    public async Task Submit_without_a_mode_is_sync_it_refuses_an_invalid_transaction_in_its_answer()
    {
        var bad = WithBrokenSignature(Person("default-mode").Incept());

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            _client.CallAsync<SubmitResult>(RpcMethods.Submit, new { tx = Convert.ToBase64String(bad.Encoded) }));

        Assert.Equal(RpcErrorCodes.TransactionRejected, error.Code);
        Assert.Contains(nameof(ErrorCode.BadSignature), error.Message, StringComparison.Ordinal);
        var queued = await _client.SubmitAsync(WithBrokenSignature(Person("default-mode-async").Incept()), SubmitModes.Async);
        Assert.Equal(TxStatuses.Pending, queued.Status);
    }

    private static Transaction WithBrokenSignature(Transaction tx)
    {
        var bytes = tx.Encoded.ToArray();
        bytes[^2] ^= 1;
        return TransactionCodec.Decode(bytes);
    }

    [Fact]
    public async Task Submit_in_async_mode_answers_pending_and_the_transaction_then_commits()
    {
        var tx = Person("async").Incept();

        var r = await _client.SubmitAsync(tx, SubmitModes.Async);

        Assert.Equal(TxStatuses.Pending, r.Status);
        Assert.Equal(tx.Hash.ToHex(), r.Hash);
        var status = await EventuallyAsync(() => _client.StatusAsync(tx.Hash), s => s.Status == TxStatuses.Committed);
        Assert.Equal(TxStatuses.Committed, status.Status);
        Assert.NotNull(status.Height);
    }

    [Theory]
    [InlineData(SubmitModes.Async)]
    [InlineData(SubmitModes.Sync)]
    [InlineData(SubmitModes.Commit)]
    public async Task Submitting_a_committed_transaction_again_is_rejected_as_Duplicate_saying_where_it_was_committed(string mode)
    {
        var tx = Person($"again-{mode}").Incept();
        var first = await CommitAsync(tx);
        var where = $"height {first.Height}, index {first.Index}";
        Assert.True(await _net.WaitForHeightAsync(first.Height!.Value, Deadline));
        using var other = new DkmsRpcClient(_net.RpcEndpoints[2]);

        var single = await Assert.ThrowsAsync<RpcException>(() => _client.SubmitAsync(tx, mode, CommitWaitMs));
        var inBatch = Assert.Single(await _client.SubmitBatchAsync([tx.Encoded], mode, CommitWaitMs));
        var onAnotherNode = await Assert.ThrowsAsync<RpcException>(() => other.SubmitAsync(tx, mode, CommitWaitMs));

        Assert.Equal(RpcErrorCodes.TransactionRejected, single.Code);
        Assert.Equal("Duplicate", single.RejectionCode);
        Assert.Contains(where, single.Message, StringComparison.Ordinal);
        Assert.Equal("Duplicate", onAnotherNode.RejectionCode);
        Assert.Equal(TxStatuses.Rejected, inBatch.Status);
        Assert.Equal("Duplicate", inBatch.Code);
        Assert.Contains(where, inBatch.Message, StringComparison.Ordinal);
        Assert.Equal(tx.Hash.ToHex(), inBatch.Hash);
        // tx.status still tells the truth about the transaction itself.
        var status = await _client.StatusAsync(tx.Hash);
        Assert.Equal(TxStatuses.Committed, status.Status);
        Assert.Equal(first.Height, status.Height);
    }

    [Fact]
    public async Task Submit_to_another_node_commits_everywhere()
    {
        using var other = new DkmsRpcClient(_net.RpcEndpoints[3]);
        var alice = Person("other-node");

        var r = await other.SubmitAsync(alice.Incept(), SubmitModes.Commit, CommitWaitMs);

        Assert.True(await _net.WaitForHeightAsync(r.Height!.Value, Deadline));
        Assert.NotNull((await _client.ResolveAsync(alice.Id)).Identity);
    }

    // ---- tx.submitBatch ----

    [Fact]
    public async Task SubmitBatch_answers_each_item_in_order_with_valid_and_invalid_ones_mixed()
    {
        var good1 = Person("batch-1").Incept();
        var good2 = Person("batch-2").Incept();
        var badSignature = good2.Encoded.ToArray();
        badSignature[^2] ^= 1;
        var wrongChain = new TestIdentity("batch-wrong-chain", new TransactionBuilder("some-other-chain")).Incept();
        string[] txs =
        [
            Convert.ToBase64String(good1.Encoded),
            "%%% not base64 %%%",
            Convert.ToBase64String(badSignature),
            Convert.ToBase64String(wrongChain.Encoded),
            Convert.ToBase64String([1, 2, 3]),
            Convert.ToBase64String(good2.Encoded),
        ];

        var results = await _client.CallAsync<SubmitResult[]>(RpcMethods.SubmitBatch, new SubmitBatchParams(txs, SubmitModes.Commit, CommitWaitMs));

        Assert.Equal(txs.Length, results.Length);
        Assert.Equal(TxStatuses.Committed, results[0].Status);
        Assert.Equal(good1.Hash.ToHex(), results[0].Hash);
        Assert.Equal((TxStatuses.Rejected, nameof(ErrorCode.Malformed)), (results[1].Status, results[1].Code));
        Assert.Equal((TxStatuses.Rejected, nameof(ErrorCode.BadSignature)), (results[2].Status, results[2].Code));
        Assert.Equal((TxStatuses.Rejected, nameof(ErrorCode.WrongChain)), (results[3].Status, results[3].Code));
        Assert.Equal((TxStatuses.Rejected, nameof(ErrorCode.Malformed)), (results[4].Status, results[4].Code));
        Assert.Equal(TxStatuses.Committed, results[5].Status);
        Assert.Equal(good2.Hash.ToHex(), results[5].Hash);
        Assert.All(results.Where(r => r.Status == TxStatuses.Rejected), r => Assert.False(string.IsNullOrEmpty(r.Message)));
    }

    [Fact]
    public async Task SubmitBatch_in_async_mode_queues_every_transaction()
    {
        var people = Enumerable.Range(0, 5).Select(i => Person($"batch-async-{i}")).ToArray();
        var txs = people.Select(p => p.Incept()).ToArray();

        var results = await _client.SubmitBatchAsync(txs.Select(t => t.Encoded), SubmitModes.Async);

        Assert.Equal(txs.Select(t => t.Hash.ToHex()), results.Select(r => r.Hash));
        Assert.All(results, r => Assert.Equal(TxStatuses.Pending, r.Status));
        foreach (var tx in txs)
        {
            Assert.Equal(TxStatuses.Committed, (await EventuallyAsync(() => _client.StatusAsync(tx.Hash), s => s.Status == TxStatuses.Committed)).Status);
        }
    }

    // ---- tx.status ----

    [Fact]
    public async Task Status_of_a_committed_transaction_gives_its_height_and_index()
    {
        var tx = Person("status-committed").Incept();
        var r = await CommitAsync(tx);

        var status = await _client.StatusAsync(tx.Hash);

        Assert.Equal(new TxStatusResult(tx.Hash.ToHex(), TxStatuses.Committed, r.Height, r.Index), status);
    }

    [Fact]
    public async Task Status_of_a_transaction_waiting_for_its_predecessor_is_pending()
    {
        var alice = Person("status-pending");
        await CommitAsync(alice.Incept());
        alice.Rotate(); // sequence 2, never submitted
        var third = alice.Rotate();

        var r = await _client.SubmitAsync(third, SubmitModes.Sync);
        var status = await _client.StatusAsync(third.Hash);

        Assert.Equal(TxStatuses.Pending, r.Status);
        Assert.Equal(TxStatuses.Pending, status.Status);
        Assert.Null(status.Height);
        Assert.Null(status.Code);
    }

    [Fact]
    public async Task Status_of_a_rejected_transaction_gives_the_code_and_message()
    {
        var tx = Person("status-rejected").Incept();
        var bad = tx.Encoded.ToArray();
        bad[^2] ^= 1;
        var badTx = TransactionCodec.Decode(bad);
        var error = await Assert.ThrowsAsync<RpcException>(() => _client.SubmitAsync(badTx));
        Assert.Equal(RpcErrorCodes.TransactionRejected, error.Code);

        var status = await _client.StatusAsync(badTx.Hash);

        Assert.Equal(TxStatuses.Rejected, status.Status);
        Assert.Equal(nameof(ErrorCode.BadSignature), status.Code);
        Assert.False(string.IsNullOrEmpty(status.Message));
    }

    [Fact]
    public async Task Status_of_a_hash_never_seen_is_unknown()
    {
        var hash = Hash32.Sha256("never submitted"u8);

        var status = await _client.StatusAsync(hash);

        Assert.Equal(new TxStatusResult(hash.ToHex(), TxStatuses.Unknown), status);
    }

    [Fact]
    public async Task Status_accepts_an_upper_case_hash_and_answers_in_lower_case()
    {
        var tx = Person("status-case").Incept();
        await CommitAsync(tx);

        var status = await _client.CallAsync<TxStatusResult>(RpcMethods.Status, new HashParams(tx.Hash.ToHex().ToUpperInvariant()));

        Assert.Equal(TxStatuses.Committed, status.Status);
        Assert.Equal(tx.Hash.ToHex(), status.Hash);
    }

    // ---- identity.resolve, identity.events, identity.checkKey ----

    [Fact]
    public async Task Resolve_gives_the_latest_state_and_the_state_at_a_given_height()
    {
        var alice = Person("resolve");
        var incepted = await CommitAsync(alice.Incept());
        var rotated = await CommitAsync(alice.Rotate());

        var latest = await _client.ResolveAsync(alice.Id);
        var atInception = await _client.ResolveAsync(alice.Id, incepted.Height);
        var before = await _client.ResolveAsync(alice.Id, incepted.Height!.Value - 1);

        Assert.Equal(alice.Id.ToString(), latest.Id);
        Assert.True(latest.Height >= rotated.Height);
        Assert.Null(latest.Proof);
        Assert.Equal(2UL, latest.Identity!.Sequence);
        Assert.Equal([alice.KeyAt(1).PublicKey.ToHex()], latest.Identity.SigningKeys);
        Assert.Equal(rotated.Height, latest.Identity.UpdatedAtHeight);
        Assert.Equal("Active", latest.Identity.Status);
        Assert.Equal(incepted.Height, atInception.Height);
        Assert.Equal(1UL, atInception.Identity!.Sequence);
        Assert.Equal([alice.KeyAt(0).PublicKey.ToHex()], atInception.Identity.SigningKeys);
        Assert.Null(before.Identity);
    }

    [Fact]
    public async Task Resolve_with_a_proof_carries_a_proof_that_verifies_against_the_genesis_validators()
    {
        var alice = Person("resolve-proof");
        var r = await CommitAsync(alice.Incept());

        var answer = await _client.ResolveAsync(alice.Id, r.Height, proof: true);

        Assert.NotNull(answer.Proof);
        Assert.Equal(r.Height, answer.Proof.Height);
        var verified = ProofVerifier.VerifyIdentity(answer, new IdentityQuery(alice.Id, r.Height), TrustedChain.FromGenesis(_net.Genesis), Freshness.Default);
        Assert.True(verified.IsValid, verified.Error);
        Assert.Equal(alice.Id, verified.Value!.Id);
    }

    [Fact]
    public async Task Proofs_asked_at_several_heights_each_carry_the_certified_header_of_their_own_height()
    {
        // The node encodes each height's header and certificate once (ProofAnchors): asking the latest height, then a
        // later one, then the earlier one again must never be answered with another height's anchor.
        var alice = Person("resolve-proof-heights");
        var incepted = await CommitAsync(alice.Incept());
        var first = await _client.ResolveAsync(alice.Id, incepted.Height, proof: true);
        var rotated = await CommitAsync(alice.Rotate());
        var second = await _client.ResolveAsync(alice.Id, rotated.Height, proof: true);
        var firstAgain = await _client.ResolveAsync(alice.Id, incepted.Height, proof: true);
        var latest = await _client.ResolveAsync(alice.Id, proof: true);

        var chain = TrustedChain.FromGenesis(_net.Genesis);
        foreach (var (answer, height, sequence) in new[] { (first, incepted.Height!.Value, 1UL), (second, rotated.Height!.Value, 2UL), (firstAgain, incepted.Height.Value, 1UL) })
        {
            Assert.Equal(height, Codec.Decode<BlockHeader>(Convert.FromBase64String(answer.Proof!.Header)).Height);
            Assert.Equal(height, Codec.Decode<CommitCertificate>(Convert.FromBase64String(answer.Proof.Certificate)).Height);
            var verified = ProofVerifier.VerifyIdentity(answer, new IdentityQuery(alice.Id, height), chain, Freshness.Default);
            Assert.True(verified.IsValid, verified.Error);
            Assert.Equal(sequence, verified.Value!.Sequence);
        }

        Assert.Equal(latest.Height, Codec.Decode<BlockHeader>(Convert.FromBase64String(latest.Proof!.Header)).Height);
        Assert.True(ProofVerifier.VerifyIdentity(latest, new IdentityQuery(alice.Id), chain, Freshness.Default).IsValid);
    }

    [Fact]
    public async Task Resolve_of_an_unknown_identity_answers_a_null_identity_with_or_without_proof()
    {
        var ghost = Person("ghost");
        ghost.Incept(); // never submitted
        await CommitAsync(Person("ghost-anchor").Incept()); // a proof needs a certified height

        var plain = await _client.ResolveAsync(ghost.Id);
        var proven = await _client.ResolveAsync(ghost.Id, proof: true);

        Assert.Equal(ghost.Id.ToString(), plain.Id);
        Assert.Null(plain.Identity);
        Assert.Null(proven.Identity);
        Assert.NotNull(proven.Proof);
        Assert.Null(proven.Proof.Value);
        var verified = ProofVerifier.VerifyIdentity(proven, new IdentityQuery(ghost.Id), TrustedChain.FromGenesis(_net.Genesis), Freshness.Default);
        Assert.True(verified.IsValid, verified.Error);
        Assert.Null(verified.Value);
    }

    [Fact]
    public async Task Events_list_an_identity_history_in_sequence_order_with_paging()
    {
        var alice = Person("events");
        var inception = alice.Incept();
        var r1 = await CommitAsync(inception);
        var rotation = alice.Rotate();
        var r2 = await CommitAsync(rotation);
        var r3 = await CommitAsync(alice.AddKeyAgreementKey("enc-1", KeyOf("events-enc")));

        var all = await _client.EventsAsync(alice.Id);
        var fromTwo = await _client.EventsAsync(alice.Id, fromSequence: 2);
        var one = await _client.EventsAsync(alice.Id, limit: 1);

        Assert.Equal([1UL, 2UL, 3UL], all.Select(e => e.Sequence));
        Assert.Equal(["Inception", "Rotation", "AddKeyAgreementKey"], all.Select(e => e.Type));
        Assert.Equal([r1.Height!.Value, r2.Height!.Value, r3.Height!.Value], all.Select(e => e.Height));
        Assert.Equal(inception.Hash.ToHex(), all[0].TxHash);
        Assert.Equal(r2.Index, all[1].Index);
        Assert.Equal(Convert.ToBase64String(rotation.Encoded), all[1].Transaction);
        Assert.Equal([2UL, 3UL], fromTwo.Select(e => e.Sequence));
        Assert.Equal([1UL], one.Select(e => e.Sequence));
    }

    [Fact]
    public async Task Events_of_an_unknown_identity_are_not_found()
    {
        var ghost = Person("events-ghost");
        ghost.Incept();

        var error = await Assert.ThrowsAsync<RpcException>(() => _client.EventsAsync(ghost.Id));

        Assert.Equal(RpcErrorCodes.NotFound, error.Code);
    }

    [Fact]
    public async Task CheckKey_tells_valid_former_and_foreign_keys_apart_by_height()
    {
        var alice = Person("checkkey");
        var incepted = await CommitAsync(alice.Incept());
        var rotated = await CommitAsync(alice.Rotate());
        var ghost = Person("checkkey-ghost");
        ghost.Incept();

        var oldKeyThen = await _client.CheckKeyAsync(alice.Id, alice.KeyAt(0).PublicKey, incepted.Height!.Value);
        var oldKeyNow = await _client.CheckKeyAsync(alice.Id, alice.KeyAt(0).PublicKey, rotated.Height!.Value);
        var newKeyNow = await _client.CheckKeyAsync(alice.Id, alice.KeyAt(1).PublicKey, rotated.Height.Value);
        var foreign = await _client.CheckKeyAsync(alice.Id, KeyOf("stranger"), rotated.Height.Value);
        var unknown = await _client.CheckKeyAsync(ghost.Id, KeyOf("stranger"), rotated.Height.Value);

        Assert.Equal("Valid", oldKeyThen.Validity);
        Assert.Equal("NotASigningKey", oldKeyNow.Validity);
        Assert.Equal("Valid", newKeyNow.Validity);
        Assert.Equal("NotASigningKey", foreign.Validity);
        Assert.Equal("UnknownIdentity", unknown.Validity);
        Assert.Equal(alice.KeyAt(0).PublicKey.ToHex(), oldKeyThen.Key);
        Assert.Equal(incepted.Height, oldKeyThen.Height);
    }

    [Fact]
    public async Task CheckKey_of_a_deactivated_identity_is_Deactivated_from_the_deactivation_on_and_valid_before()
    {
        var alice = Person("checkkey-deactivated");
        var incepted = await CommitAsync(alice.Incept());
        var deactivated = await CommitAsync(fixture.Builder.Deactivate(alice.Id, 2, [alice.KeyAt(1)]));
        var key = alice.KeyAt(0).PublicKey;

        var before = await _client.CheckKeyAsync(alice.Id, key, incepted.Height!.Value);
        var at = await _client.CheckKeyAsync(alice.Id, key, deactivated.Height!.Value);
        var later = await _client.CheckKeyAsync(alice.Id, key, (await _client.NodeStatusAsync()).Height);
        var foreign = await _client.CheckKeyAsync(alice.Id, KeyOf("stranger"), deactivated.Height.Value);

        Assert.Equal("Valid", before.Validity);
        Assert.Equal("Deactivated", at.Validity);
        Assert.Equal("Deactivated", later.Validity);
        Assert.Equal("NotASigningKey", foreign.Validity);
    }

    // ---- policy.get, policy.check ----

    [Fact]
    public async Task Policy_get_and_check_follow_a_policy_set_by_the_owner()
    {
        var owner = Person("policy-owner");
        var incepted = await CommitAsync(owner.Incept());
        var admin = KeyOf("policy-admin");
        var granter = KeyOf("policy-granter");
        var revoker = KeyOf("policy-revoker");
        var stranger = KeyOf("policy-stranger");
        var set = fixture.Builder.SetAgentPolicy(owner.Id, 2, "signing",
            [new AgentChange(admin, AgentRights.Admin), new AgentChange(granter, AgentRights.Prove | AgentRights.ProveGrant), new AgentChange(revoker, AgentRights.ProveRevoke)],
            1, [(owner.KeyAt(0), null)]);
        var committed = await CommitAsync(set);

        var policy = await _client.PolicyAsync(owner.Id, "signing");
        var before = await _client.PolicyAsync(owner.Id, "signing", incepted.Height);
        var other = await _client.PolicyAsync(owner.Id, "no-such-policy");
        var proven = await _client.PolicyAsync(owner.Id, "signing", committed.Height, proof: true);

        Assert.Equal(owner.Id.ToString(), policy.Owner);
        Assert.Equal("signing", policy.PolicyId);
        Assert.Equal(1, policy.Policy!.AdminThreshold);
        Assert.Equal(committed.Height, policy.Policy.UpdatedAtHeight);
        var rights = policy.Policy.Agents.ToDictionary(a => a.Agent, a => a.Rights);
        Assert.Equal("Admin", rights[admin.ToHex()]);
        Assert.Equal("Prove, ProveGrant", rights[granter.ToHex()]);
        Assert.Equal("ProveRevoke", rights[revoker.ToHex()]);
        Assert.Null(before.Policy);
        Assert.Null(other.Policy);
        Assert.NotNull(proven.Proof);
        var verified = ProofVerifier.VerifyPolicy(proven, new PolicyQuery(owner.Id, "signing", committed.Height), TrustedChain.FromGenesis(_net.Genesis), Freshness.Default);
        Assert.True(verified.IsValid, verified.Error);

        async Task<CheckAuthorizationResult> Check(PublicKey agent, AgentRights r, ulong? height = null) =>
            await _client.CheckAuthorizationAsync(owner.Id, "signing", agent, r, height);

        Assert.True((await Check(admin, AgentRights.Prove)).Authorized); // Admin implies every right
        Assert.True((await Check(admin, AgentRights.ProveRevoke | AgentRights.ProveGrant)).Authorized);
        Assert.True((await Check(granter, AgentRights.Prove)).Authorized);
        Assert.True((await Check(granter, AgentRights.Prove | AgentRights.ProveGrant)).Authorized);
        var denied = await Check(granter, AgentRights.ProveRevoke);
        Assert.False(denied.Authorized);
        Assert.Equal("Prove, ProveGrant", denied.Rights);
        Assert.False(string.IsNullOrEmpty(denied.Reason));
        Assert.True((await Check(revoker, AgentRights.ProveRevoke)).Authorized);
        Assert.False((await Check(revoker, AgentRights.Prove)).Authorized);
        Assert.False((await Check(stranger, AgentRights.Prove)).Authorized);
        Assert.False((await Check(admin, AgentRights.Prove, incepted.Height)).Authorized);
        var byName = await _client.CallAsync<CheckAuthorizationResult>(RpcMethods.CheckAuthorization,
            new CheckAuthorizationParams(owner.Id.ToString(), "signing", granter.ToHex(), "prove"));
        Assert.True(byName.Authorized);
    }

    [Fact]
    public async Task Policy_check_without_a_policy_id_is_invalid_params_not_an_internal_error()
    {
        var owner = Person("policy-null-id");
        await CommitAsync(owner.Incept());

        var error = await Assert.ThrowsAsync<RpcException>(() => _client.CallAsync<CheckAuthorizationResult>(RpcMethods.CheckAuthorization,
            new { owner = owner.Id.ToString(), agent = KeyOf("x").ToHex(), rights = "Prove" }));

        Assert.Equal(RpcErrorCodes.InvalidParams, error.Code);
        Assert.Contains("policyId", error.Message, StringComparison.Ordinal);
    }

    // ---- block.get ----

    [Fact]
    public async Task Block_get_gives_the_header_the_transaction_hashes_and_a_certificate_that_verifies()
    {
        var tx = Person("block").Incept();
        var r = await CommitAsync(tx);
        var height = r.Height!.Value;

        var block = await _client.BlockAsync(height);

        Assert.Equal(height, block.Height);
        Assert.Equal(tx.Hash.ToHex(), block.TransactionHashes[r.Index!.Value]);
        var header = Codec.Decode<BlockHeader>(Convert.FromBase64String(block.Header));
        Assert.Equal(InProcessTestnet.ChainId, header.ChainId);
        Assert.Equal(height, header.Height);
        Assert.Equal(block.Hash, header.ComputeHash().ToHex());
        Assert.Equal(block.StateRoot, header.StateRoot.ToHex());
        Assert.Equal(block.PreviousHash, header.PreviousHash.ToHex());
        Assert.Equal(block.TransactionRoot, header.TransactionRoot.ToHex());
        Assert.Equal(block.Proposer, header.Proposer.ToHex());
        Assert.Equal(block.TimestampMs, header.TimestampMs);
        Assert.Equal(block.Round, header.Round);
        Assert.Equal(_net.Node(0).Ledger.GetHeight(height)!.StateRoot.ToHex(), block.StateRoot);
        Assert.Contains(block.Proposer, Enumerable.Range(0, 4).Select(i => _net.KeyOf(i).ToHex()));
        var certificate = Codec.Decode<CommitCertificate>(Convert.FromBase64String(block.Certificate));
        Assert.True(certificate.Verify(_net.Genesis.ValidatorSet(), InProcessTestnet.ChainId, header.ComputeHash(), out var why), why);
        if (height > 1)
        {
            var previous = await _client.BlockAsync(height - 1);
            Assert.Equal(previous.Hash, block.PreviousHash);
        }
    }

    // ---- node.status, node.validators ----

    [Fact]
    public async Task Node_status_describes_the_node_its_chain_and_its_peers()
    {
        await CommitAsync(Person("node-status").Incept());

        var status = await _client.NodeStatusAsync();
        var withEmptyParams = await _client.CallAsync<NodeStatusResult>(RpcMethods.NodeStatus, new { });

        Assert.Equal(InProcessTestnet.ChainId, status.ChainId);
        Assert.Equal(_net.KeyOf(0).ToHex(), status.NodeKey);
        Assert.True(status.IsValidator);
        Assert.True(status.Height >= 1);
        Assert.Equal(64, status.StateRoot.Length);
        Assert.Equal(64, status.LastBlockHash.Length);
        Assert.True(status.LastBlockTimeMs > 0);
        Assert.Equal(Enumerable.Range(1, 3).Select(i => _net.KeyOf(i).ToHex()).Order(), status.Peers.Order());
        Assert.True(status.MempoolCount >= 0);
        Assert.False(string.IsNullOrEmpty(status.Version));
        Assert.Equal(status.ChainId, withEmptyParams.ChainId);
    }

    [Fact]
    public async Task Node_validators_lists_the_genesis_validators_now_and_at_a_past_height()
    {
        var now = await _client.ValidatorsAsync();
        var atOne = await _client.ValidatorsAsync(1);

        Assert.InRange(now.Height, 1UL, _net.Node(0).Ledger.Height + 1); // the next height when asked
        var expected = _net.Genesis.Validators.Select(v => new ValidatorView(v.NodeKey, v.Address, v.Power));
        Assert.Equal(expected, now.Validators);
        Assert.Equal(1UL, atOne.Height);
        Assert.Equal(expected, atOne.Validators);
    }

    // ---- HTTP endpoints ----

    [Fact]
    public async Task Health_answers_ok_with_the_height()
    {
        using var response = await _http.GetAsync("health");
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("ok", body.RootElement.GetProperty("status").GetString());
        Assert.True(body.RootElement.GetProperty("height").GetUInt64() >= 0);
        Assert.Equal(3, body.RootElement.GetProperty("peers").GetInt32());
        Assert.Equal(0, body.RootElement.GetProperty("consensusFaults").GetInt64());
        Assert.True(body.RootElement.GetProperty("droppedConsensusMessages").GetInt64() >= 0);
    }

    [Fact]
    public async Task Metrics_are_Prometheus_text_with_the_height()
    {
        await CommitAsync(Person("metrics").Incept());

        using var response = await _http.GetAsync("metrics");
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType!.MediaType, StringComparison.Ordinal);
        var line = text.Split('\n').FirstOrDefault(l => l.StartsWith("dkms_height ", StringComparison.Ordinal));
        Assert.NotNull(line);
        Assert.True(double.Parse(line["dkms_height ".Length..], System.Globalization.CultureInfo.InvariantCulture) >= 1);
        Assert.Contains("# TYPE dkms_height", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE dkms_consensus_contained_faults_total counter", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE dkms_consensus_dropped_messages_total counter", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Did_resolution_gives_a_document_with_verification_methods_and_key_agreement()
    {
        var alice = Person("did");
        var agreement = KeyOf("did-x25519");
        await CommitAsync(alice.Incept());
        await CommitAsync(alice.AddKeyAgreementKey("enc-1", agreement));
        var did = alice.Id.ToString();

        using var response = await _http.GetAsync($"1.0/identifiers/{did}");
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var doc = json.RootElement.GetProperty("didDocument");
        Assert.Equal(did, doc.GetProperty("id").GetString());
        var methods = doc.GetProperty("verificationMethod").EnumerateArray().ToList();
        var signing = methods.Single(m => m.GetProperty("type").GetString() == "Ed25519VerificationKey2020");
        Assert.Equal($"{did}#signing-0", signing.GetProperty("id").GetString());
        Assert.Equal(did, signing.GetProperty("controller").GetString());
        Assert.Equal(Multibase([0xed, 0x01], alice.KeyAt(0).PublicKey), signing.GetProperty("publicKeyMultibase").GetString());
        var x25519 = methods.Single(m => m.GetProperty("type").GetString() == "X25519KeyAgreementKey2020");
        Assert.Equal($"{did}#enc-1", x25519.GetProperty("id").GetString());
        Assert.Equal(Multibase([0xec, 0x01], agreement), x25519.GetProperty("publicKeyMultibase").GetString());
        Assert.Equal([$"{did}#signing-0"], doc.GetProperty("authentication").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal([$"{did}#signing-0"], doc.GetProperty("assertionMethod").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal([$"{did}#enc-1"], doc.GetProperty("keyAgreement").EnumerateArray().Select(e => e.GetString()));
        var meta = json.RootElement.GetProperty("didDocumentMetadata");
        Assert.False(meta.GetProperty("deactivated").GetBoolean());
        Assert.Equal("2", meta.GetProperty("versionId").GetString());
    }

    [Fact]
    public async Task Did_resolution_of_a_deactivated_identity_is_410_says_deactivated_and_lists_no_keys()
    {
        var alice = Person("did-deactivated");
        await CommitAsync(alice.Incept());
        await CommitAsync(fixture.Builder.Deactivate(alice.Id, 2, [alice.KeyAt(1)]));

        using var response = await _http.GetAsync($"1.0/identifiers/{alice.Id}");
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.Gone, response.StatusCode);
        Assert.True(json.RootElement.GetProperty("didDocumentMetadata").GetProperty("deactivated").GetBoolean());
        Assert.Empty(json.RootElement.GetProperty("didDocument").GetProperty("verificationMethod").EnumerateArray());
        Assert.Equal("Deactivated", (await _client.ResolveAsync(alice.Id)).Identity!.Status);
    }

    [Fact]
    public async Task Did_resolution_of_an_unknown_identity_is_404_notFound()
    {
        var ghost = Person("did-ghost");
        ghost.Incept();

        using var response = await _http.GetAsync($"1.0/identifiers/{ghost.Id}");
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("notFound", json.RootElement.GetProperty("didResolutionMetadata").GetProperty("error").GetString());
        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("didDocument").ValueKind);
    }

    [Theory]
    [InlineData("did:dkms:0OIl")]
    [InlineData("did:DKMS:abc")]
    [InlineData("not-a-did")]
    public async Task Did_resolution_of_something_that_is_not_a_dkms_did_is_400_invalidDid(string did)
    {
        using var response = await _http.GetAsync($"1.0/identifiers/{Uri.EscapeDataString(did)}");
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalidDid", json.RootElement.GetProperty("didResolutionMetadata").GetProperty("error").GetString());
    }

    private static string Multibase(byte[] codec, PublicKey key) => "z" + Base58.Encode([.. codec, .. key.ToArray()]);
}
