using System.Diagnostics;
using System.Runtime;
using Dkms.Core.Genesis;
using Dkms.Node;
using Dkms.Node.Testing;
using Xunit.Abstractions;

namespace Dkms.Adversary.Tests.Support;

/// <summary>
/// A whole attack on a <see cref="ByzantineTestnet"/>: warm up, measure the heap, run a campaign while an honest
/// client keeps committing (<see cref="Probes"/>) and a watchdog looks at the honest validators, then check what must
/// hold afterwards. Returns every property that did not hold (empty: the validators withstood it).
/// </summary>
public static class AttackRun
{
    /// <summary>
    /// How much the process's managed heap (three validators, settled by a full compacting collection) may grow over
    /// an attack. Generous on purpose; docs/consensus.md gives the bound a node keeps.
    /// </summary>
    public const long MemoryGrowthBoundBytes = 200L * 1024 * 1024;

    /// <summary>Batches an honest client must have committed during any attack (each one within the probe deadline).</summary>
    public const int MinimumBatchesDuringAttack = 3;

    /// <summary>A heap this large stops the attack at once (the test fails anyway): it protects the machine.</summary>
    private const long EmergencyHeapBytes = 4L * 1024 * 1024 * 1024;

    public static async Task<List<string>> RunAsync(CampaignOptions options, ITestOutputHelper output, ConsensusParameters? consensus = null,
        Func<int, NodeSettings, NodeSettings>? settings = null)
    {
        var failures = new List<string>();
        await using var net = await ByzantineTestnet.StartAsync(consensus, settings);
        var nodes = net.HonestNodes.ToList();
        var probes = new Probes(nodes, InProcessTestnet.ChainId, $"probe-{options.Seed}");
        Assert.True(await probes.CommitOneAsync(), "before the attack: " + probes.Failure);
        var heapBefore = SettledHeap();
        var privateBefore = Process.GetCurrentProcess().PrivateMemorySize64;

        using var stop = new CancellationTokenSource();
        var campaign = new Campaign(net.Adversary, net.Forge, options, new LedgerReplica(net.Net.Genesis));
        var attack = campaign.RunAsync(stop.Token);
        var probing = probes.RunAsync(stop.Token);
        var peakHeap = 0L;
        while (!attack.IsCompleted)
        {
            await Task.WhenAny(attack, Task.Delay(200));
            peakHeap = Math.Max(peakHeap, GC.GetTotalMemory(false));
            var dead = DeadLoops(nodes);
            if (dead.Count > 0)
            {
                failures.AddRange(dead.Select(d => $"during the attack, after {campaign.Report.Sent:N0} messages: {d}"));
            }
            else if (probing.IsCompleted && probes.Failure is not null)
            {
                failures.Add($"during the attack, after {campaign.Report.Sent:N0} messages: {probes.Failure}");
            }
            else if (peakHeap > EmergencyHeapBytes)
            {
                failures.Add($"the heap reached {peakHeap / 1024 / 1024:N0} MiB during the attack (after {campaign.Report.Sent:N0} messages); stopped it");
            }

            if (failures.Count > 0) await stop.CancelAsync();
        }

        var report = await attack;
        var batchesDuringAttack = probes.Committed - 1;
        await stop.CancelAsync();
        await probing;
        output.WriteLine($"campaign {options.Mode}, seed {options.Seed}: {report.Summary()}");
        output.WriteLine($"honest batches committed during the attack: {batchesDuringAttack}");

        if (failures.Count == 0)
        {
            if (report.Sent < options.Messages && options.Duration is null) failures.Add($"the adversary sent {report.Sent:N0} of {options.Messages:N0} messages ({report.StoppedEarly})");
            if (batchesDuringAttack < MinimumBatchesDuringAttack)
            {
                failures.Add($"only {batchesDuringAttack} honest batches were committed during the attack (at least {MinimumBatchesDuringAttack})");
            }

            if (!await probes.CommitOneAsync()) failures.Add("after the attack: " + probes.Failure);
        }

        // A scenario that never played its part proves nothing.
        foreach (var s in ScenarioStrategies(options.Mode).Where(s => report.SentBy(s) == 0))
        {
            failures.Add($"the adversary never sent a {s} message (report: {report.Summary()})");
        }

        if (report.NotBuilt > 0) failures.Add($"the adversary could not build {report.NotBuilt} of its own blocks (its replica refused the transactions)");

        var adversaryBlocks = BlocksProposedBy(nodes, net.Adversary.Key.PublicKey);
        output.WriteLine($"blocks proposed by the adversary and committed: {adversaryBlocks}");
        if (options.Mode == AttackMode.Poison && adversaryBlocks == 0)
        {
            failures.Add("no block of the adversary's was committed: its poisoned proposals never reached a decision, so the scenario proved nothing");
        }

        failures.AddRange(DeadLoops(nodes).Select(d => "after the attack: " + d));
        failures.AddRange(Disagreements(nodes, output));

        net.Adversary.Dispose(); // what remains on the heap is the validators'
        var heapAfter = SettledHeap();
        var growth = heapAfter - heapBefore;
        output.WriteLine($"managed heap: {heapBefore / 1024 / 1024:N0} MiB before, {heapAfter / 1024 / 1024:N0} MiB after (peak unsettled {peakHeap / 1024 / 1024:N0} MiB); "
            + $"process private memory {privateBefore / 1024 / 1024:N0} → {Process.GetCurrentProcess().PrivateMemorySize64 / 1024 / 1024:N0} MiB");
        if (growth > MemoryGrowthBoundBytes)
        {
            failures.Add($"the managed heap grew by {growth / 1024 / 1024:N0} MiB over the attack (bound {MemoryGrowthBoundBytes / 1024 / 1024:N0} MiB)");
        }

        foreach (var (n, i) in nodes.Select((n, i) => (n, i)))
        {
            output.WriteLine($"validator {i}: height {n.Ledger.Height}, peers {n.Peers.Count}, loop {(n.Loop.IsCompleted ? "ended" : "running")}");
        }

        return failures;
    }

    /// <summary>What a scenario must have sent for its run to mean anything.</summary>
    private static Strategy[] ScenarioStrategies(AttackMode mode) => mode switch
    {
        AttackMode.Malformed => [Strategy.MalformedNested],
        AttackMode.FarFuture => [Strategy.FutureUnsigned, Strategy.DuplicateVotes, Strategy.Equivocation],
        AttackMode.Poison => [Strategy.PoisonTurn, Strategy.PoisonResponse],
        AttackMode.BigBlock => [Strategy.BigBlockTurn],
        _ => [],
    };

    /// <summary>Honest validators whose consensus loop ended, and why.</summary>
    public static List<string> DeadLoops(IReadOnlyList<ValidatorNode> nodes) =>
        [.. nodes.Select((n, i) => (n, i)).Where(x => x.n.Loop.IsCompleted)
            .Select(x => $"validator {x.i}'s consensus loop ended: {x.n.Loop.Exception?.InnerException?.ToString() ?? "without an error"}")];

    /// <summary>Heights at which two honest validators committed different blocks or reached different state roots.</summary>
    public static List<string> Disagreements(IReadOnlyList<ValidatorNode> nodes, ITestOutputHelper output)
    {
        var failures = new List<string>();
        var top = nodes.Min(n => n.Ledger.Height);
        for (ulong h = 1; h <= top; h++)
        {
            var blocks = nodes.Select(n => n.Application.TryGetCommitted(h, out var b, out _) ? b.Hash.ToHex() : "missing").Distinct().ToList();
            var roots = nodes.Select(n => n.Ledger.GetHeight(h)?.StateRoot.ToHex() ?? "missing").Distinct().ToList();
            if (blocks.Count != 1 || roots.Count != 1 || blocks[0] == "missing" || roots[0] == "missing")
            {
                failures.Add($"height {h}: blocks [{string.Join(", ", blocks)}], state roots [{string.Join(", ", roots)}]");
            }
        }

        output.WriteLine($"agreement checked at heights 1..{top}: {(failures.Count == 0 ? "same blocks and state roots" : $"{failures.Count} heights differ")}");
        return failures;
    }

    /// <summary>Blocks committed by the most advanced honest validator whose proposer is <paramref name="key"/>.</summary>
    private static int BlocksProposedBy(IReadOnlyList<ValidatorNode> nodes, Core.Primitives.PublicKey key)
    {
        var node = nodes.MaxBy(n => n.Ledger.Height)!;
        var count = 0;
        for (ulong h = 1; h <= node.Ledger.Height; h++)
        {
            if (node.Application.TryGetCommitted(h, out var b, out _) && b.Header.Proposer == key) count++;
        }

        return count;
    }

    private static long SettledHeap()
    {
        for (var i = 0; i < 2; i++)
        {
            GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }

        return GC.GetTotalMemory(forceFullCollection: false);
    }
}
