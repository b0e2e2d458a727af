using Dkms.Client;
using Dkms.Core.Crypto;
using Dkms.Core.Encoding;
using Dkms.Core.Genesis;
using Dkms.Core.Primitives;
using Dkms.Core.Transactions;
using Dkms.Node.Tests.Support;
using Dkms.Rpc;

namespace Dkms.Node.Tests.Process;

/// <summary>
/// The attacks of docs/security.md against four <c>dkms-node</c> processes over the real transport and RPC: a thief
/// holding an identity's current keys, a relayer's variant of a transaction, a stolen agent key, and a flood of
/// signed junk waiting for predecessors that never come.
/// </summary>
public sealed class SecurityProcessTests
{
    private const ulong OwnerDelaySeconds = 2 * LedgerParameters.DefaultMinRecoveryDelaySeconds;

    [Fact]
    public async Task Attacks_of_a_thief_a_relayer_a_stolen_agent_key_and_a_junk_flood_get_nothing_from_real_nodes()
    {
        using var net = new ProcessTestnet(4);
        for (var i = 0; i < 4; i++) net.Start(i);
        var clients = net.RpcEndpoints.Select(u => new DkmsRpcClient(u)).ToArray();
        try
        {
            await ProcessTestnetTests.WaitForPeersAsync(clients, 3, net);
            var builder = new TransactionBuilder(ProcessTestnet.ChainId);
            var bob = new TestIdentity("bob", builder);
            var carol = new TestIdentity("carol", builder);
            var mallory = new TestIdentity("mallory", builder);
            var trent = new TestIdentity("trent", builder);
            foreach (var t in new[] { bob, carol, mallory, trent }) await CommitEverywhereAsync(clients, clients[0], t.Incept());

            // Alice: two keys, either one signs; her trustees are Bob and Carol.
            var aliceKeys = Enumerable.Range(0, 2).Select(i => Ed25519Signer.FromSeed(Hash32.Sha256([.. "alice"u8, (byte)i]).ToArray())).ToArray();
            var aliceNext = Ed25519Signer.FromSeed(Hash32.Sha256("alice-next"u8).ToArray());
            var aliceConfig = new KeyConfig([.. aliceKeys.Select(k => k.PublicKey)], 1, [aliceNext.PublicKey.Digest()], 1);
            var (incept, alice) = builder.Inception(aliceConfig, aliceKeys, recovery: new RecoveryPolicy([bob.Id, carol.Id], 2, OwnerDelaySeconds));
            await CommitEverywhereAsync(clients, clients[1], incept);

            // The thief (Alice's current keys, Mallory's and Trent's keys) names its accomplices as trustees, starts and
            // finalizes a recovery onto its own keys: the policy change is only pending, the start and finalize refused.
            var thiefPolicy = new RecoveryPolicy([mallory.Id, trent.Id], 2, LedgerParameters.DefaultMinRecoveryDelaySeconds);
            await CommitEverywhereAsync(clients, clients[2], builder.SetRecoveryPolicy(alice, 2, thiefPolicy, [aliceKeys[0]]));
            var thiefKey = Ed25519Signer.FromSeed(Hash32.Sha256("thief"u8).ToArray());
            var thiefConfig = new KeyConfig([thiefKey.PublicKey], 1, [], 0);
            var start = builder.RecoveryStart(alice, 3, thiefConfig, [(mallory.KeyAt(0), mallory.Id), (trent.KeyAt(0), trent.Id)]);
            Assert.Equal(nameof(ErrorCode.ThresholdNotMet), await RejectionAsync(clients[3], start));
            Assert.Equal(nameof(ErrorCode.NotRecovering), await RejectionAsync(clients[0], builder.RecoveryFinalize(alice, 3, thiefKey)));
            var seen = (await clients[3].ResolveAsync(alice)).Identity!;
            Assert.Equal(aliceConfig.SigningKeys.Select(k => k.ToHex()), seen.SigningKeys);
            Assert.Equal(OwnerDelaySeconds, seen.Recovery!.DelaySeconds);
            Assert.Equal([mallory.Id.ToString(), trent.Id.ToString()], seen.PendingRecoveryPolicy!.Policy.Trustees);

            // The owner's next keys veto: a rotation drops the pending change.
            var rotated = new KeyConfig([aliceNext.PublicKey], 1, [Hash32.Sha256("alice-after"u8)], 1);
            await CommitEverywhereAsync(clients, clients[0], builder.Rotation(alice, 3, rotated, [aliceNext]));
            seen = (await clients[2].ResolveAsync(alice)).Identity!;
            Assert.Null(seen.PendingRecoveryPolicy);
            Assert.Equal([bob.Id.ToString(), carol.Id.ToString()], seen.Recovery!.Trustees);

            // A relayer's variant (one of two signatures dropped) commits first; the author's hash reads committed
            // everywhere and its own form is a Duplicate.
            var dana = new TestIdentity("dana", builder);
            var danaKeys = Enumerable.Range(0, 2).Select(i => Ed25519Signer.FromSeed(Hash32.Sha256([.. "dana"u8, (byte)i]).ToArray())).ToArray();
            var (danaIncept, danaId) = builder.Inception(new KeyConfig([.. danaKeys.Select(k => k.PublicKey)], 1, [], 0), danaKeys);
            var envelope = Codec.Decode<SignedTransactionEnvelope>(danaIncept.Encoded);
            var relayed = TransactionCodec.Decode(Codec.Encode(envelope with { Signatures = envelope.Signatures[..1] }));
            Assert.Equal(danaIncept.Hash, relayed.Hash);
            await CommitEverywhereAsync(clients, clients[3], relayed);
            Assert.Equal(nameof(ErrorCode.Duplicate), await RejectionAsync(clients[0], danaIncept));
            foreach (var c in clients) Assert.Equal(TxStatuses.Committed, (await c.StatusAsync(danaIncept.Hash)).Status);
            Assert.NotNull((await clients[1].ResolveAsync(danaId)).Identity);

            // A stolen agent key with the Prove bit cannot spend Bob's sequence numbers on a change that changes nothing.
            var agent = Ed25519Signer.FromSeed(Hash32.Sha256("bob-agent"u8).ToArray());
            await CommitEverywhereAsync(clients, clients[0], builder.SetAgentPolicy(bob.Id, 2, "devices", [new AgentChange(agent.PublicKey, AgentRights.Prove)], null, [(bob.KeyAt(0), null)]));
            Assert.Equal(nameof(ErrorCode.InvalidParameters), await RejectionAsync(clients[1], builder.SetAgentPolicy(bob.Id, 3, "devices", [], null, [(agent, null)])));
            Assert.Equal(nameof(ErrorCode.InvalidParameters), await RejectionAsync(clients[1],
                builder.SetAgentPolicy(bob.Id, 3, "devices", [new AgentChange(agent.PublicKey, AgentRights.Prove)], null, [(agent, null)])));
            Assert.Equal(2UL, (await clients[2].ResolveAsync(bob.Id)).Identity!.Sequence);

            // Signed junk for identities nobody incepted floods node 0: it stays there, in its share, and a valid
            // transaction sent after it still commits.
            var junk = Enumerable.Range(0, 2_000).Select(i =>
            {
                var key = Ed25519Signer.FromSeed(Hash32.Sha256(BitConverter.GetBytes(i)).ToArray());
                return builder.Build(IdentityId.Derive(BitConverter.GetBytes(i)), 2, new AddKeyAgreementKeyPayload(new KeyAgreementKeyEntry("k", key.PublicKey, "enc")), [(key, null)]).Encoded;
            }).ToArray();
            await clients[0].SubmitBatchAsync(junk, SubmitModes.Sync);
            var flooded = await clients[0].NodeStatusAsync();
            Assert.InRange(flooded.MempoolCount, 1, 2_000);
            var after = await clients[0].SubmitAsync(new TestIdentity("after-the-flood", builder).Incept(), SubmitModes.Commit, 30_000);
            Assert.Equal(TxStatuses.Committed, after.Status);
            // Once the peers have that block too (and dropped the valid transaction from their pools), nothing is
            // left there: junk that reached them would wait its full timeout (30 s).
            await ProcessTestnetTests.WaitForHeightAsync([.. clients.Skip(1)], after.Height!.Value);
            foreach (var c in clients.Skip(1)) Assert.True(await PoolEmptiesAsync(c), $"{c.Endpoint} holds transactions of the flood");
        }
        finally
        {
            foreach (var c in clients) c.Dispose();
        }
    }

    /// <summary>Commits <paramref name="tx"/> through <paramref name="via"/> and waits until every node has that block, so
    /// what follows may read any node.</summary>
    private static async Task CommitEverywhereAsync(DkmsRpcClient[] clients, DkmsRpcClient via, Transaction tx)
    {
        var committed = await via.SubmitAsync(tx, SubmitModes.Commit, 30_000);
        Assert.Equal(TxStatuses.Committed, committed.Status);
        await ProcessTestnetTests.WaitForHeightAsync(clients, committed.Height!.Value);
    }

    /// <summary>True when the node's pool is empty within a few seconds (a commit's pool update follows the commit).</summary>
    private static async Task<bool> PoolEmptiesAsync(DkmsRpcClient client)
    {
        for (var i = 0; i < 50; i++)
        {
            if ((await client.NodeStatusAsync()).MempoolCount == 0) return true;
            await Task.Delay(100);
        }

        return false;
    }

    /// <summary>The ledger code a node refuses <paramref name="tx"/> with (it must be refused).</summary>
    private static async Task<string?> RejectionAsync(DkmsRpcClient client, Transaction tx)
    {
        var e = await Assert.ThrowsAsync<RpcException>(() => client.SubmitAsync(tx, SubmitModes.Sync));
        return e.RejectionCode;
    }
}
