using System.Collections.Concurrent;

namespace Dkms.LoadGen;

/// <summary>A node the load generator could not reach during a run, and when it first failed (seconds from the start).</summary>
public sealed record DeadNode(string Node, double FirstFailureSeconds, string Error);

/// <summary>
/// The nodes of a run and which of them could not be reached: a call that fails to connect (or times out) marks its node
/// dead, and whoever made it moves on to the next node that is not — so one node down neither stops the run nor
/// leaves its share of the load unsent. Dead nodes are reported in the result. Any thread.
/// </summary>
public sealed class NodePool(Uri[] nodes)
{
    private readonly ConcurrentDictionary<Uri, DeadNode> _dead = new();
    private readonly long _start = System.Diagnostics.Stopwatch.GetTimestamp();

    public Uri[] Nodes { get; } = nodes;

    public bool IsDead(Uri node) => _dead.ContainsKey(node);

    /// <summary>Whether <paramref name="e"/> says the node could not be reached (not a JSON-RPC error it answered).</summary>
    public static bool Unreachable(Exception e, CancellationToken ct) =>
        e is HttpRequestException || (e is TaskCanceledException && !ct.IsCancellationRequested);

    /// <summary>Marks the node dead (the first failure is kept) and returns the node to use instead.</summary>
    public Uri Failed(Uri node, Exception e)
    {
        var reason = e.InnerException is { } inner ? $"{e.Message} ({inner.Message})" : e.Message;
        if (_dead.TryAdd(node, new DeadNode(node.ToString(), Math.Round(System.Diagnostics.Stopwatch.GetElapsedTime(_start).TotalSeconds, 1), reason)))
        {
            Console.Error.WriteLine($"[{DateTime.UtcNow:HH:mm:ss}] node {node} is unreachable ({reason}); its load goes to the other nodes");
        }

        return Next(node);
    }

    /// <summary>The node after <paramref name="node"/> in the list that is not dead; <paramref name="node"/> itself when all are.</summary>
    public Uri Next(Uri node)
    {
        var at = Array.IndexOf(Nodes, node);
        for (var k = 1; k <= Nodes.Length; k++)
        {
            var candidate = Nodes[(at + k + Nodes.Length) % Nodes.Length];
            if (!IsDead(candidate)) return candidate;
        }

        return node;
    }

    /// <summary>The first node not known dead (the first node when all are).</summary>
    public Uri FirstAlive() => Nodes.FirstOrDefault(n => !IsDead(n)) ?? Nodes[0];

    public DeadNode[] Report() => [.. _dead.Values.OrderBy(d => Array.IndexOf(Nodes, new Uri(d.Node)))];
}
