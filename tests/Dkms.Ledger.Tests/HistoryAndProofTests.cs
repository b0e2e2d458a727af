using Dkms.Core.Crypto;
using Dkms.Core.Encoding;
using Dkms.Core.Transactions;
using Dkms.Ledger.State;
using Dkms.Ledger.Tests.Support;

namespace Dkms.Ledger.Tests;

public class HistoryAndProofTests
{
    [Fact]
    public void Key_state_at_a_past_height_is_what_it_was_then()
    {
        using var h = new LedgerHarness();
        var alice = h.Create(new Actor("alice"));
        var created = h.Ledger.Height;
        h.Block();
        h.Accept(alice.Sign(new RotationPayload(alice.ConfigAt(1)), h.Seq(alice), alice.Next));

        Assert.Null(h.Ledger.GetIdentityAt(alice.Id, created - 1));
        Assert.Equal(alice.KeysAt(0).Select(k => k.PublicKey), h.Ledger.GetIdentityAt(alice.Id, created + 1)!.Keys.SigningKeys);
        Assert.Equal(alice.KeysAt(1).Select(k => k.PublicKey), h.Ledger.GetIdentityAt(alice.Id, h.Ledger.Height)!.Keys.SigningKeys);
    }

    [Fact]
    public void Event_history_is_a_hash_chain_ending_in_the_last_event_digest()
    {
        using var h = new LedgerHarness();
        var alice = h.Create(new Actor("alice"));
        for (var r = 1; r <= 3; r++) h.Accept(alice.Sign(new RotationPayload(alice.ConfigAt(r)), h.Seq(alice), alice.KeysAt(r)));

        var events = h.Ledger.GetEvents(alice.Id);
        Assert.Equal([TxType.Inception, TxType.Rotation, TxType.Rotation, TxType.Rotation], events.Select(e => e.Type));
        var previous = Dkms.Core.Primitives.Hash32.Zero;
        foreach (var e in events)
        {
            Assert.Equal(previous, e.PreviousDigest);
            Assert.Equal(e.TxHash, TransactionCodec.Decode(e.Transaction).Hash);
            previous = e.Digest;
        }

        Assert.Equal(previous, h.Ledger.GetIdentity(alice.Id)!.LastEventDigest);
        Assert.Equal(2, h.Ledger.GetEvents(alice.Id, fromSequence: 3).Count);
        var loc = h.Ledger.GetTransaction(events[1].TxHash)!;
        Assert.Equal(events[1].Height, loc.Height);
    }

    [Fact]
    public void History_with_two_events_in_one_block_and_quiet_blocks_between_is_answered_at_every_height_also_after_reopening()
    {
        using var h = new LedgerHarness();
        var alice = h.Create(new Actor("alice"));
        var bob = h.Create(new Actor("bob")); // another identity's events in between
        h.Block();
        h.Accept(alice.Sign(new RotationPayload(alice.ConfigAt(1)), 2, alice.KeysAt(1)));
        h.Block();
        var both = h.Block(
            alice.Sign(new RotationPayload(alice.ConfigAt(2)), 3, alice.KeysAt(2)),
            bob.Sign(new RotationPayload(bob.ConfigAt(1)), 2, bob.KeysAt(1)),
            alice.Sign(new RotationPayload(alice.ConfigAt(3)), 4, alice.KeysAt(3)));
        Assert.All(both, r => Assert.True(r.IsOk, r.ToString()));
        h.Block();

        void Check()
        {
            var events = h.Ledger.GetEvents(alice.Id);
            Assert.Equal([1UL, 2, 3, 4], events.Select(e => e.Sequence));
            Assert.Equal(0UL, events[0].PreviousHeight);
            for (var i = 1; i < events.Count; i++) Assert.Equal(events[i - 1].Height, events[i].PreviousHeight);
            Assert.Equal(events[2].Height, events[3].Height);
            Assert.Equal([3UL, 4], h.Ledger.GetEvents(alice.Id, fromSequence: 3).Select(e => e.Sequence));
            Assert.Equal([2UL, 3], h.Ledger.GetEvents(alice.Id, fromSequence: 2, limit: 2).Select(e => e.Sequence));
            Assert.Empty(h.Ledger.GetEvents(alice.Id, fromSequence: 5));
            Assert.Equal([1UL, 2], h.Ledger.GetEvents(bob.Id).Select(e => e.Sequence));

            // At every height the state is the one after the newest event at or below it, and its proof verifies
            // against that height's root with exactly those bytes.
            for (var height = 0UL; height <= h.Ledger.Height + 1; height++)
            {
                var expected = events.LastOrDefault(e => e.Height <= height);
                var state = h.Ledger.GetIdentityAt(alice.Id, height);
                Assert.Equal(expected?.Sequence, state?.Sequence);
                if (expected is not null) Assert.Equal(expected.StateAfter, Codec.Encode(state!));
                if (height >= 1 && height <= h.Ledger.Height && h.Ledger.ProveIdentity(alice.Id, height) is { } proven)
                {
                    Assert.Equal(expected?.StateAfter, proven.Value);
                    Assert.True(proven.Verify(h.Ledger.GetHeight(height)!.StateRoot));
                }
            }
        }

        Check();
        h.Reopen();
        Check();
    }

    [Fact]
    public void A_policys_versions_including_two_changes_in_one_block_are_answered_at_every_height_also_after_reopening()
    {
        using var h = new LedgerHarness();
        var alice = h.Create(new Actor("alice"));
        var phone = alice.Agent("phone");
        var laptop = alice.Agent("laptop");
        SetAgentPolicyPayload Grant(Ed25519Signer agent, AgentRights rights) => new("devices", [new AgentChange(agent.PublicKey, rights)], null);

        h.Block();
        h.Accept(alice.Sign(Grant(phone, AgentRights.Prove), h.Seq(alice), alice.Current));
        var created = h.Ledger.Height;
        h.Block();
        var seq = h.Seq(alice);
        Assert.All(
            h.Block(alice.Sign(Grant(laptop, AgentRights.Prove), seq, alice.Current), alice.Sign(Grant(phone, AgentRights.None), seq + 1, alice.Current)),
            r => Assert.True(r.IsOk, r.ToString()));
        var both = h.Ledger.Height;
        h.Block();
        h.Accept(alice.Sign(Grant(laptop, AgentRights.None), h.Seq(alice), alice.Current));
        var last = h.Ledger.Height;
        h.Block();

        (AgentRights Phone, AgentRights Laptop)? Expected(ulong height) =>
            height < created ? null
            : height < both ? (AgentRights.Prove, AgentRights.None)
            : height < last ? (AgentRights.None, AgentRights.Prove)
            : (AgentRights.None, AgentRights.None);

        void Check()
        {
            for (var height = 0UL; height <= h.Ledger.Height + 1; height++)
            {
                var policy = h.Ledger.GetPolicyAt(alice.Id, "devices", height);
                Assert.Equal(Expected(height), policy is null ? null : (policy.RightsOf(phone.PublicKey), policy.RightsOf(laptop.PublicKey)));
                if (height >= 1 && height <= h.Ledger.Height && h.Ledger.ProvePolicy(alice.Id, "devices", height) is { } proven)
                {
                    Assert.True(proven.Verify(h.Ledger.GetHeight(height)!.StateRoot));
                    Assert.Equal(policy is null ? null : Codec.Encode(policy), proven.Value);
                }
            }

            Assert.Null(h.Ledger.GetPolicyAt(alice.Id, "device", h.Ledger.Height)); // a prefix of the id is another policy
        }

        Check();
        h.Reopen();
        Check();
    }

    [Fact]
    public void A_fresh_store_is_marked_with_the_key_layout_and_one_written_without_that_mark_is_refused()
    {
        var store = new Dkms.Storage.MemoryStore();
        using (var h = new LedgerHarness(store))
        {
            Assert.Equal([StateKeys.LayoutVersion], store.Get(StateKeys.Layout)!);
            var alice = h.Create(new Actor("alice"));
            h.Reopen();
            Assert.NotNull(h.Ledger.GetIdentity(alice.Id));

            // A store written before the layout was recorded (events keyed by identity) has state but no mark.
            store.Write(new Dkms.Storage.WriteBatch().Delete(StateKeys.Layout), sync: true);
            var e = Assert.Throws<Dkms.Storage.StorageException>(() => DkmsLedger.Open(store, new LedgerOptions(LedgerHarness.Chain)));
            Assert.Contains("layout 1", e.Message);
            Assert.Contains("dkms-node reindex", e.Message);

            // Layout 2 had no history checkpoints: its long histories would be answered by unbounded walks.
            store.Write(new Dkms.Storage.WriteBatch().Put(StateKeys.Layout, [2]), sync: true);
            e = Assert.Throws<Dkms.Storage.StorageException>(() => DkmsLedger.Open(store, new LedgerOptions(LedgerHarness.Chain)));
            Assert.Contains("layout 2", e.Message);

            store.Write(new Dkms.Storage.WriteBatch().Put(StateKeys.Layout, [StateKeys.LayoutVersion + 1]), sync: true);
            Assert.Throws<Dkms.Storage.StorageException>(() => DkmsLedger.Open(store, new LedgerOptions(LedgerHarness.Chain)));

            // Layout 3 has the keys of 4 (4 only says the store had a synced-write mark from its creation): moved in place.
            store.Write(new Dkms.Storage.WriteBatch().Put(StateKeys.Layout, [Dkms.Storage.StoreLayout.LastUnmarkedVersion]), sync: true);
            Assert.NotNull(DkmsLedger.Open(store, new LedgerOptions(LedgerHarness.Chain)).GetIdentity(alice.Id));
            Assert.Equal([StateKeys.LayoutVersion], store.Get(StateKeys.Layout)!);
        }
    }

    [Fact]
    public void Identity_proof_verifies_against_the_state_root_and_a_tampered_one_does_not()
    {
        using var h = new LedgerHarness();
        var alice = h.Create(new Actor("alice"));
        var proven = h.Ledger.ProveIdentity(alice.Id)!;
        Assert.Equal(h.Ledger.StateRoot, proven.StateRoot);
        Assert.True(proven.Verify(h.Ledger.StateRoot));
        Assert.Equal(alice.Id, Codec.Decode<IdentityState>(proven.Value!).Id);

        var tampered = (byte[])proven.Value!.Clone();
        tampered[^1] ^= 1;
        Assert.False((proven with { Value = tampered }).Verify(h.Ledger.StateRoot));
        Assert.False((proven with { Value = null }).Verify(h.Ledger.StateRoot));
    }

    [Fact]
    public void Absent_identity_and_policy_have_verifying_non_inclusion_proofs()
    {
        using var h = new LedgerHarness();
        h.Create(new Actor("alice"));
        var ghost = new Actor("ghost");
        ghost.Incept();
        var proven = h.Ledger.ProveIdentity(ghost.Id)!;
        Assert.Null(proven.Value);
        Assert.True(proven.Verify(h.Ledger.StateRoot));
        var policy = h.Ledger.ProvePolicy(ghost.Id, "devices")!;
        Assert.True(policy.Verify(h.Ledger.StateRoot));
    }

    [Fact]
    public void Proofs_at_recent_past_heights_verify_against_that_heights_root()
    {
        using var h = new LedgerHarness();
        var alice = h.Create(new Actor("alice"));
        var agent = alice.Agent("phone");
        h.Accept(alice.Sign(new SetAgentPolicyPayload("devices", [new AgentChange(agent.PublicKey, AgentRights.Prove)], null), h.Seq(alice), alice.Current));
        var then = h.Ledger.Height;
        var rootThen = h.Ledger.StateRoot;
        h.Accept(alice.Sign(new SetAgentPolicyPayload("devices", [new AgentChange(agent.PublicKey, AgentRights.None)], null), h.Seq(alice), alice.Current));

        var old = h.Ledger.ProvePolicy(alice.Id, "devices", then)!;
        Assert.Equal(rootThen, old.StateRoot);
        Assert.Equal(rootThen, h.Ledger.GetHeight(then)!.StateRoot);
        Assert.True(old.Verify(rootThen));
        Assert.Equal(AgentRights.Prove, Codec.Decode<AgentPolicy>(old.Value!).RightsOf(agent.PublicKey));
        Assert.False(old.Verify(h.Ledger.StateRoot));
        Assert.True(h.Ledger.ProveIdentity(alice.Id, then)!.Verify(rootThen));
    }

    [Fact]
    public void Dropped_execution_changes_nothing_and_a_stale_block_cannot_be_committed()
    {
        using var h = new LedgerHarness();
        var alice = new Actor("alice");
        var root = h.Ledger.StateRoot;
        var executed = h.Ledger.Execute(1, h.TimeMs, [alice.Incept()]);
        Assert.True(executed.AllAccepted);
        Assert.NotEqual(root, executed.StateRoot);
        Assert.Equal(root, h.Ledger.StateRoot);
        Assert.Null(h.Ledger.GetIdentity(alice.Id));

        h.Block();
        Assert.Throws<InvalidOperationException>(() => h.Ledger.Commit(executed));
    }

    [Fact]
    public void Commit_is_one_write_batch_with_the_callers_extra_entries()
    {
        var store = new Dkms.Storage.CountingStore();
        using var h = new LedgerHarness(store);
        var executed = h.Ledger.Execute(1, h.TimeMs, [new Actor("alice").Incept()]);
        var before = store.BatchesWritten;
        h.Ledger.Commit(executed, new Dkms.Storage.WriteBatch().Put("block/1"u8.ToArray(), [1, 2, 3]));
        Assert.Equal(before + 1, store.BatchesWritten);
        Assert.Equal([1, 2, 3], store.Get("block/1"u8));
    }

    [Fact]
    public void A_commit_writes_the_ledgers_entries_in_ascending_key_order()
    {
        // RocksDB inserts a batch fastest in key order; the order must hold for every kind of entry a block writes.
        var store = new Dkms.Storage.CountingStore();
        using var h = new LedgerHarness(store);
        var alice = h.Create(new Actor("alice"));
        var bob = h.Create(new Actor("bob"));
        var phone = alice.Agent("phone");
        var results = h.Block(
            alice.Sign(new RotationPayload(alice.ConfigAt(1)), 2, alice.KeysAt(1)),
            bob.Sign(new SetAgentPolicyPayload("devices", [new AgentChange(phone.PublicKey, AgentRights.Prove)], null), 2, bob.Current),
            bob.Sign(new SetAgentPolicyPayload("keys", [new AgentChange(phone.PublicKey, AgentRights.Prove)], null), 3, bob.Current),
            new Actor("carol").Incept(),
            new Actor("dave").Incept());
        Assert.All(results, r => Assert.True(r.IsOk, r.ToString()));

        var keys = store.LastBatch!.Operations.Select(o => o.Key).ToArray();
        Assert.Equal(keys.Order(Dkms.Storage.ByteKeyComparer.Instance), keys);
        Assert.Equal(["e", "h", "m", "r", "s", "t"], keys.Select(k => ((char)k[0]).ToString()).Distinct());
    }

    [Fact]
    public void A_commit_that_writes_history_checkpoints_writes_them_in_ascending_key_order_too()
    {
        var store = new Dkms.Storage.CountingStore();
        using var h = new LedgerHarness(store);
        var alice = h.Create(new Actor("alice"));
        var phone = alice.Agent("phone");
        var sequence = 1UL;
        Transaction Toggle() => alice.Sign(
            new SetAgentPolicyPayload("devices", [new AgentChange(phone.PublicKey, sequence % 2 == 0 ? AgentRights.Prove : AgentRights.Prove | AgentRights.ProveGrant)], null),
            ++sequence,
            alice.Current);

        // Sixteen changes in one block are one version; fifteen blocks more make version 16 with event 32, both checkpointed.
        Assert.All(h.Block([.. Enumerable.Range(0, StateKeys.CheckpointInterval).Select(_ => Toggle())]), r => Assert.True(r.IsOk, r.ToString()));
        for (var v = 2; v <= StateKeys.CheckpointInterval; v++) Assert.All(h.Block(Toggle(), new Actor($"other-{v}").Incept()), r => Assert.True(r.IsOk, r.ToString()));

        Assert.Equal(2UL * StateKeys.CheckpointInterval, h.Ledger.GetIdentity(alice.Id)!.Sequence);
        Assert.Equal((ulong)StateKeys.CheckpointInterval, h.Ledger.GetPolicy(alice.Id, "devices")!.Version);
        var keys = store.LastBatch!.Operations.Select(o => o.Key).ToArray();
        Assert.Equal(keys.Order(Dkms.Storage.ByteKeyComparer.Instance), keys);
        Assert.Equal(["e", "h", "i", "m", "p", "r", "s", "t"], keys.Select(k => ((char)k[0]).ToString()).Distinct());
    }

    [Fact]
    public void A_proposers_execution_leaves_rejected_transactions_out_and_has_the_root_of_the_accepted_ones_alone()
    {
        using var h = new LedgerHarness();
        var alice = new Actor("alice");
        var bob = new Actor("bob");
        var aliceInception = alice.Incept();
        var replay = aliceInception; // the same transaction twice: the second is a duplicate
        var bobInception = bob.Incept(chain: "another-chain");
        var carol = new Actor("carol").Incept();

        var proposed = h.Ledger.ExecuteAcceptable(1, h.TimeMs, [aliceInception, replay, bobInception, carol]);
        var acceptedOnly = h.Ledger.Execute(1, h.TimeMs, [aliceInception, carol]);

        Assert.Equal([aliceInception.Hash, carol.Hash], proposed.Transactions.Select(t => t.Hash));
        Assert.True(proposed.AllAccepted);
        Assert.Equal(acceptedOnly.StateRoot, proposed.StateRoot);
        h.Ledger.Commit(proposed);
        Assert.Equal(acceptedOnly.StateRoot, h.Ledger.StateRoot);
        Assert.Equal(1, h.Ledger.GetTransaction(carol.Hash)!.Index);
    }
}
