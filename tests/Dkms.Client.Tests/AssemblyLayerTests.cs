using System.Reflection;
using Dkms.Network;
using Dkms.Node;
using Dkms.Rpc;

namespace Dkms.Client.Tests;

/// <summary>
/// The layers of docs/architecture.md, checked on the built assemblies (issue 18 §7): the client and the RPC contract
/// reach neither the ledger's engine nor the store (so <c>dkms</c> carries no RocksDB), the network does not know
/// consensus, and <c>dkms-node</c> ships no test-only code.
/// </summary>
public sealed class AssemblyLayerTests
{
    private static readonly string[] EngineAssemblies = ["Dkms.Ledger", "Dkms.Storage", "RocksDbSharp"];

    [Fact]
    public void The_client_and_the_contract_reach_neither_the_ledger_engine_nor_the_store()
    {
        foreach (var root in new[] { typeof(DkmsRpcClient).Assembly, typeof(RpcMethods).Assembly })
        {
            var reached = Closure(root);
            foreach (var engine in EngineAssemblies)
            {
                Assert.False(reached.Contains(engine), $"{root.GetName().Name} reaches {engine} (through {string.Join(", ", reached.Order())})");
            }
        }
    }

    [Fact]
    public void The_network_does_not_reference_consensus()
    {
        var reached = Closure(typeof(PeerNetwork).Assembly);
        Assert.DoesNotContain("Dkms.Consensus", reached);
    }

    [Fact]
    public void The_node_executable_ships_no_test_only_code()
    {
        var node = typeof(ValidatorNode).Assembly;
        var reached = Closure(node);
        Assert.DoesNotContain("Dkms.Node.Testing", reached);
        Assert.DoesNotContain("Dkms.Consensus.Testing", reached);
        Assert.DoesNotContain("Dkms.Storage.Testing", reached);
        string[] testOnly = ["InProcessTestnet", "InMemoryApplication", "SimulatedNetwork", "FaultInjection"];
        foreach (var assembly in reached.Select(n => Assembly.Load(n)).Append(node))
        {
            var names = assembly.GetTypes().Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
            foreach (var t in testOnly) Assert.False(names.Contains(t), $"{assembly.GetName().Name} contains {t}");
        }
    }

    /// <summary>The names of the project assemblies (Dkms.*) and RocksDB's binding that <paramref name="root"/> references,
    /// directly or through each other.</summary>
    private static HashSet<string> Closure(Assembly root)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var queue = new Queue<Assembly>([root]);
        while (queue.TryDequeue(out var a))
        {
            foreach (var name in a.GetReferencedAssemblies())
            {
                if (name.Name is not { } n || !(n.StartsWith("Dkms.", StringComparison.Ordinal) || n == "RocksDbSharp") || !seen.Add(n)) continue;
                queue.Enqueue(Assembly.Load(name));
            }
        }

        return seen;
    }
}
