using System.Diagnostics;
using Dkms.Core.Primitives;
using Dkms.Core.Transactions;
using Dkms.Storage;

namespace Dkms.Ledger.Bench;

/// <summary>
/// What one history query costs on a long history: `history [memory|rocksdb] [events]` (default 100,000 events).
/// One identity gets that many events, one per block, alternately a rotation and a change of its agent policy
/// "default" (so the policy has half as many versions); then each query a node answers from history runs a few
/// times (after one unmeasured call) and reports the store's point reads per call (memory only: the in-memory
/// store counts them) and its median wall time per call.
/// </summary>
public static class HistoryReads
{
    public const int DefaultEvents = 100_000;
    private const int Owner = 0;
    private const int Runs = 7;
    private const string PolicyId = "default";

    public static void Run(bool rocks, int events)
    {
        Fixture.Require(events >= 2_000, "at least 2,000 events");
        string? dir = null;
        IKeyValueStore store;
        if (rocks)
        {
            dir = Path.Combine(Path.GetTempPath(), "dkms-bench-history-" + Guid.NewGuid().ToString("N"));
            store = RocksDbStore.Open(dir);
        }
        else
        {
            store = new CountingStore();
        }

        try
        {
            // Unsynced: the build writes one block per event; what is measured is reading.
            var ledger = DkmsLedger.Open(store, new LedgerOptions(Fixture.Chain) { SyncCommits = false });
            var w = new Workload(Fixture.Chain, realSignatures: false);
            var sw = Stopwatch.StartNew();
            var heights = Build(ledger, w, events);
            Console.WriteLine($"{(rocks ? "rocksdb" : "memory")}: one identity with {events:N0} events in {ledger.Height:N0} blocks, built in {sw.Elapsed.TotalSeconds:F1} s");

            var id = w.Id(Owner);
            var agent = AgentKey(w);
            ulong HeightOf(long sequence) => heights[(int)sequence];
            var old = HeightOf(10);
            var mid = HeightOf(events / 2);
            var recent = ledger.Height - (ulong)ledger.Options.ProofHistoryHeights + 2;

            Measure(store, "identity.events first page (from 1, limit 1,000)", () => ledger.GetEvents(id, 1, 1_000).Count == 1_000);
            Measure(store, "identity.events middle page (from n/2, limit 1,000)", () => ledger.GetEvents(id, (ulong)events / 2, 1_000).Count == 1_000);
            Measure(store, "identity.events last page (from n-999, limit 1,000)", () => ledger.GetEvents(id, (ulong)events - 999, 1_000).Count == 1_000);
            Measure(store, "GetIdentityAt old height (event 10)", () => ledger.GetIdentityAt(id, old)!.Sequence == 10);
            Measure(store, "GetIdentityAt middle height (event n/2)", () => ledger.GetIdentityAt(id, mid)!.Sequence == (ulong)events / 2);
            Measure(store, "ProveIdentity at a past height (62 back)", () => ledger.ProveIdentity(id, recent)!.Value is not null);
            // Event 9 is a rotation (odd sequences after the first are rotations) to the keys of rotation 4.
            Measure(store, "CheckSigningKey at an old height", () => ledger.CheckSigningKey(id, w.Key(Owner, 4).PublicKey, HeightOf(9)) == KeyValidity.Valid);
            Measure(store, "GetPolicyAt old height (event 10)", () => ledger.GetPolicyAt(id, PolicyId, old) is not null);
            Measure(store, "GetPolicyAt middle height (event n/2)", () => ledger.GetPolicyAt(id, PolicyId, mid) is not null);
            Measure(store, "ProvePolicy at a past height (62 back)", () => ledger.ProvePolicy(id, PolicyId, recent)!.Value is not null);
            Measure(store, "CheckAuthorization at the middle height", () => ledger.CheckAuthorization(id, PolicyId, agent, AgentRights.Prove, mid).Authorized);
        }
        finally
        {
            Fixture.Close(store, dir);
        }
    }

    /// <summary>Commits the identity's events one per block; returns the height of each sequence (index 0 unused).</summary>
    private static ulong[] Build(DkmsLedger ledger, Workload w, int events)
    {
        var heights = new ulong[events + 1];
        Fixture.CommitAll(ledger, [w.Inception(Owner)]);
        heights[1] = ledger.Height;
        var rotation = 0;
        var agent = AgentKey(w);
        for (var sequence = 2UL; sequence <= (ulong)events; sequence++)
        {
            // Even sequences change the policy (the agent's rights alternate), odd ones rotate to the next keys.
            TxPayload payload = sequence % 2 == 0
                ? new SetAgentPolicyPayload(PolicyId, [new(agent, sequence % 4 == 0 ? AgentRights.Prove : AgentRights.Prove | AgentRights.ProveGrant)], null)
                : new RotationPayload(w.ConfigAt(Owner, rotation + 1));
            var signer = sequence % 2 == 0 ? w.Key(Owner, rotation) : w.Key(Owner, ++rotation);
            var tx = TransactionCodec.Sign(new TxBody(w.Chain, w.Id(Owner), sequence, payload), [(signer, null)]);
            Fixture.CommitAll(ledger, [tx]);
            heights[sequence] = ledger.Height;
        }

        return heights;
    }

    private static PublicKey AgentKey(Workload w) => w.Key(1, 0).PublicKey;

    private static void Measure(IKeyValueStore store, string what, Func<bool> call)
    {
        Fixture.Require(call(), what); // once unmeasured: the first call of each query compiles it
        var times = new double[Runs];
        long? reads = null;
        for (var r = 0; r < Runs; r++)
        {
            var before = (store as CountingStore)?.Reads;
            var sw = Stopwatch.StartNew();
            var ok = call();
            times[r] = sw.Elapsed.TotalMilliseconds;
            Fixture.Require(ok, what);
            if (before is { } b) reads = ((CountingStore)store).Reads - b;
        }

        Array.Sort(times);
        Console.WriteLine($"  {what,-55} reads {(reads is { } n ? n.ToString("N0", System.Globalization.CultureInfo.InvariantCulture) : "-"),8}   median {times[Runs / 2],9:F3} ms (min {times[0]:F3})");
    }
}
