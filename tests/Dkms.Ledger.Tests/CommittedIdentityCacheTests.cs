using Dkms.Core.Primitives;
using Dkms.Core.Transactions;
using Dkms.Ledger.Execution;
using Dkms.Ledger.State;
using Dkms.Ledger.Tests.Support;

namespace Dkms.Ledger.Tests;

public class CommittedIdentityCacheTests
{
    private static IdentityState State(string name, ulong sequence)
    {
        var id = IdentityId.Derive(System.Text.Encoding.UTF8.GetBytes(name));
        return new IdentityState(id, new KeyConfig([], 1, [], 1), [], null, null, sequence, Hash32.Zero, IdentityStatus.Active, 1, sequence);
    }

    [Fact]
    public void A_read_offered_after_a_commit_it_started_before_is_ignored()
    {
        var cache = new CommittedIdentityCache(capacity: 100, height: 5);
        var before = State("alice", 1);
        var after = before with { Sequence = 2 };

        cache.Committed(6, [after]);
        cache.Offer(before.Id, before, readAtHeight: 5); // a reader that read the store before the commit

        Assert.True(cache.TryGet(before.Id, out var cached));
        Assert.Equal(2UL, cached!.Sequence);
    }

    [Fact]
    public void A_commit_replaces_what_a_reader_offered_before_it()
    {
        var cache = new CommittedIdentityCache(capacity: 100, height: 5);
        var before = State("alice", 1);

        cache.Offer(before.Id, before, readAtHeight: 5);
        cache.Committed(6, [before with { Sequence = 2 }]);

        Assert.True(cache.TryGet(before.Id, out var cached));
        Assert.Equal(2UL, cached!.Sequence);
        Assert.Equal(6UL, cache.Height);
    }

    [Fact]
    public void An_absent_identity_is_cached_as_absent_until_a_commit_creates_it()
    {
        var cache = new CommittedIdentityCache(capacity: 100, height: 0);
        var alice = State("alice", 1);
        var reads = 0;

        Assert.Null(cache.GetOrRead(alice.Id, 0, _ => { reads++; return null; }));
        Assert.Null(cache.GetOrRead(alice.Id, 0, _ => { reads++; return null; }));
        cache.Committed(1, [alice]);

        Assert.Same(alice, cache.GetOrRead(alice.Id, 1, _ => throw new InvalidOperationException("must not read the store")));
        Assert.Equal(1, reads);
    }

    [Fact]
    public void The_cache_is_bounded_by_two_generations()
    {
        var cache = new CommittedIdentityCache(capacity: 4, height: 0);
        var states = Enumerable.Range(0, 5).Select(i => State($"id{i}", 1)).ToArray();
        cache.Committed(1, states[..2]); // fills the young generation (2): it becomes the old one
        cache.Committed(2, states[2..4]); // fills it again: the first two are dropped
        cache.Committed(3, states[4..]);

        Assert.True(cache.TryGet(states[4].Id, out _));
        Assert.True(cache.TryGet(states[3].Id, out _));
        Assert.False(cache.TryGet(states[0].Id, out _));
        Assert.False(cache.TryGet(states[1].Id, out _));
    }

    [Fact]
    public void A_dropped_execution_leaves_the_committed_state_read_through_the_cache()
    {
        using var h = new LedgerHarness();
        var alice = h.Create(new Actor("alice"));
        Assert.Equal(1UL, h.Ledger.GetIdentity(alice.Id)!.Sequence); // cached now

        var rotation = alice.Sign(new RotationPayload(alice.ConfigAt(1)), 2, alice.Next);
        var dropped = h.Ledger.Execute(h.Ledger.Height + 1, h.TimeMs, [rotation]);
        Assert.True(dropped.AllAccepted);

        Assert.Equal(1UL, h.Ledger.GetIdentity(alice.Id)!.Sequence);
        Assert.True(h.Block(rotation)[0].IsOk);
        Assert.Equal(2UL, h.Ledger.GetIdentity(alice.Id)!.Sequence);
    }
}
