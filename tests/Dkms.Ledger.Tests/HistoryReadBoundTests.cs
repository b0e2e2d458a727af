using Dkms.Core.Transactions;
using Dkms.Ledger.State;
using Dkms.Ledger.Tests.Support;
using Dkms.Storage;

namespace Dkms.Ledger.Tests;

/// <summary>
/// A query on a long history does work bounded by what it returns, not by the length of the history: counted in the
/// store's point reads (<see cref="CountingStore.Reads"/>), never in time.
/// </summary>
public class HistoryReadBoundTests
{
    private const int Events = 600;
    private const string PolicyId = "devices";

    /// <summary>One identity with <see cref="Events"/> events (rotations and changes of one policy, none to four per block,
    /// quiet blocks and another identity's events between), and what it was at every height.</summary>
    private sealed class LongHistory
    {
        public LongHistory(int seed)
        {
            var rng = new Random(seed);
            Alice = H.Create(new Actor("alice"));
            var bob = H.Create(new Actor("bob"));
            Heights.Add(0);
            Heights.Add(H.Ledger.GetIdentity(Alice.Id)!.UpdatedAtHeight);
            RotationAt.Add((Heights[1], 0));
            var rotation = 0;
            AgentRights? rights = null;
            var bobSequence = 1UL;
            while (Heights.Count <= Events)
            {
                var txs = new List<Transaction>();
                for (var n = rng.Next(5); n > 0 && Heights.Count + txs.Count <= Events; n--)
                {
                    var sequence = (ulong)(Heights.Count + txs.Count);
                    if (rng.Next(2) == 0)
                    {
                        rotation++;
                        txs.Add(Alice.Sign(new RotationPayload(Alice.ConfigAt(rotation)), sequence, Alice.KeysAt(rotation)));
                    }
                    else
                    {
                        rights = rights == AgentRights.Prove ? AgentRights.Prove | AgentRights.ProveGrant : AgentRights.Prove;
                        txs.Add(Alice.Sign(Grant(Phone, rights.Value), sequence, Alice.KeysAt(rotation)));
                    }
                }

                var aliceTxs = txs.Count;
                var policyChanged = txs.Any(t => t.Type == TxType.SetAgentPolicy);
                if (rng.Next(3) == 0) txs.Add(bob.Sign(Grant(Phone, bobSequence % 2 == 0 ? AgentRights.Prove : AgentRights.ProveRevoke), ++bobSequence, bob.Current));
                Assert.All(H.Block([.. txs]), r => Assert.True(r.IsOk, r.ToString()));
                for (var i = 0; i < aliceTxs; i++) Heights.Add(H.Ledger.Height);
                if (aliceTxs > 0)
                {
                    RotationAt.Add((H.Ledger.Height, rotation));
                    if (rights is { } r) PolicyAt.Add((H.Ledger.Height, r));
                }

                if (policyChanged) PolicyVersionHeights.Add(H.Ledger.Height);
            }
        }

        public LedgerHarness H { get; } = new(new CountingStore());

        public CountingStore Store => (CountingStore)H.Store;

        public Actor Alice { get; }

        public Dkms.Core.Crypto.Ed25519Signer Phone => Alice.Agent("phone");

        /// <summary>Heights[s]: the height of Alice's event s (index 0 unused).</summary>
        public List<ulong> Heights { get; } = [];

        /// <summary>After each block with Alice's events: her rotation and the phone's rights in her policy (if it exists yet).</summary>
        public List<(ulong Height, int Rotation)> RotationAt { get; } = [];

        public List<(ulong Height, AgentRights Rights)> PolicyAt { get; } = [];

        /// <summary>The heights of the blocks that changed Alice's policy: one version each.</summary>
        public List<ulong> PolicyVersionHeights { get; } = [];

        public long ReadsOf(Action query)
        {
            var before = Store.Reads;
            query();
            return Store.Reads - before;
        }

        /// <summary>Alice's newest event at or below the height (0: none).</summary>
        public ulong SequenceAt(ulong height) => (ulong)Math.Max(0, Heights.FindLastIndex(h => h != 0 && h <= height));

        private static SetAgentPolicyPayload Grant(Dkms.Core.Crypto.Ed25519Signer agent, AgentRights rights) => new(PolicyId, [new AgentChange(agent.PublicKey, rights)], null);
    }

    /// <summary>What a lookup at a height may read besides walking one checkpoint interval: the current record and its
    /// newest version, a binary search over the checkpoints, one record more (a retired key, a missing identity).</summary>
    private static long LookupBound => StateKeys.CheckpointInterval + (long)Math.Ceiling(Math.Log2((Events / StateKeys.CheckpointInterval) + 1)) + 4;

    [Fact]
    public void A_long_history_has_a_checkpoint_every_interval_of_events_and_of_policy_versions_and_none_between()
    {
        var history = new LongHistory(seed: 14);
        var store = history.Store;
        var alice = history.Alice.Id;
        const int k = StateKeys.CheckpointInterval;
        for (var n = 1; n * k <= Events; n++)
        {
            Assert.Equal(history.Heights[n * k], System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(store.Get(StateKeys.EventCheckpoint(alice, (ulong)n))));
        }

        Assert.Null(store.Get(StateKeys.EventCheckpoint(alice, (Events / k) + 1)));
        Assert.Null(store.Get(StateKeys.EventCheckpoint(alice, 0)));

        var versions = history.PolicyVersionHeights;
        Assert.Equal((ulong)versions.Count, history.H.Ledger.GetPolicy(alice, PolicyId)!.Version);
        Assert.True(versions.Count > 2 * k, $"{versions.Count} versions");
        for (var n = 1; n * k <= versions.Count; n++)
        {
            Assert.Equal(versions[(n * k) - 1], System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(store.Get(StateKeys.PolicyCheckpoint(alice, PolicyId, (ulong)n))));
        }

        Assert.Null(store.Get(StateKeys.PolicyCheckpoint(alice, PolicyId, ((ulong)versions.Count / k) + 1)));
    }

    [Fact]
    public void Events_pages_on_a_long_history_read_what_they_return_plus_a_constant()
    {
        var history = new LongHistory(seed: 15);
        var ledger = history.H.Ledger;
        var id = history.Alice.Id;
        var rng = new Random(16);
        ulong[] starts = [1, 2, 15, 16, 17, 63, 64, 65, 299, 300, 584, 599, 600, 601, 5_000, ulong.MaxValue, .. Enumerable.Range(0, 30).Select(_ => (ulong)rng.Next(1, Events + 1))];
        foreach (var from in starts)
        {
            foreach (var limit in new[] { 1, 7, 100, 1_000, int.MaxValue })
            {
                IReadOnlyList<EventRecord> page = [];
                var reads = history.ReadsOf(() => page = ledger.GetEvents(id, from, limit));

                var expected = from > Events ? [] : Enumerable.Range((int)from, (int)Math.Min((ulong)limit, Events - from + 1)).Select(s => (ulong)s).ToArray();
                Assert.Equal(expected, page.Select(e => e.Sequence));
                Assert.Equal(expected.Select(s => history.Heights[(int)s]), page.Select(e => e.Height));
                Assert.True(reads <= page.Count + StateKeys.CheckpointInterval + 2, $"from {from} limit {limit}: {page.Count} events in {reads} reads");
            }
        }
    }

    [Fact]
    public void Key_state_key_checks_and_policies_at_any_height_of_a_long_history_read_a_bounded_number_of_records()
    {
        var history = new LongHistory(seed: 17);
        var ledger = history.H.Ledger;
        var alice = history.Alice;
        var phone = history.Phone.PublicKey;

        // Proofs: the last heights whose trees the ledger keeps; a reopened ledger has only the last height's.
        void Check(ulong firstProvable)
        {
            for (var height = 0UL; height <= ledger.Height; height++)
            {
                var sequence = history.SequenceAt(height);
                IdentityState? state = null;
                Assert.InRange(history.ReadsOf(() => state = ledger.GetIdentityAt(alice.Id, height)), 0, LookupBound);
                Assert.Equal(sequence == 0 ? null : sequence, state?.Sequence);

                var rotation = history.RotationAt.LastOrDefault(r => r.Height <= height, (Height: 0UL, Rotation: -1)).Rotation;
                var key = alice.KeysAt(Math.Max(rotation, 0))[0].PublicKey;
                var validity = KeyValidity.UnknownIdentity;
                Assert.InRange(history.ReadsOf(() => validity = ledger.CheckSigningKey(alice.Id, key, height)), 0, LookupBound);
                Assert.Equal(rotation < 0 ? KeyValidity.NotASigningKey : KeyValidity.Valid, validity);

                var rights = history.PolicyAt.LastOrDefault(p => p.Height <= height, (Height: 0UL, Rights: AgentRights.None)).Rights;
                AgentPolicy? policy = null;
                Assert.InRange(history.ReadsOf(() => policy = ledger.GetPolicyAt(alice.Id, PolicyId, height)), 0, LookupBound);
                Assert.Equal(rights, policy?.RightsOf(phone) ?? AgentRights.None);
                AuthorizationResult? check = null;
                Assert.InRange(history.ReadsOf(() => check = ledger.CheckAuthorization(alice.Id, PolicyId, phone, AgentRights.ProveGrant, height)), 0, 2 * LookupBound);
                Assert.Equal(rights.HasFlag(AgentRights.ProveGrant), check!.Authorized);

                if (height >= firstProvable)
                {
                    ProvenValue? proven = null;
                    Assert.InRange(history.ReadsOf(() => proven = ledger.ProveIdentity(alice.Id, height)), 0, LookupBound);
                    Assert.Equal(state is null ? null : Dkms.Core.Encoding.Codec.Encode(state), proven!.Value);
                    Assert.True(proven.Verify(ledger.GetHeight(height)!.StateRoot));
                    Assert.InRange(history.ReadsOf(() => proven = ledger.ProvePolicy(alice.Id, PolicyId, height)), 0, LookupBound);
                    Assert.Equal(policy is null ? null : Dkms.Core.Encoding.Codec.Encode(policy), proven!.Value);
                    Assert.True(proven.Verify(ledger.GetHeight(height)!.StateRoot));
                }
            }
        }

        Check(firstProvable: ledger.Height - (ulong)ledger.Options.ProofHistoryHeights + 1);
        history.H.Reopen();
        ledger = history.H.Ledger;
        Check(firstProvable: ledger.Height);
    }
}
