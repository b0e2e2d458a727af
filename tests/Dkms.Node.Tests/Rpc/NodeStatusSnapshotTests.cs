using System.Reflection;
using Dkms.Client;
using Dkms.Consensus;
using Dkms.Core.Crypto;
using Dkms.Core.Genesis;
using Dkms.Core.Primitives;
using Dkms.Node.Networking;
using Dkms.Node.Tests.Support;
using Dkms.Rpc;
using Dkms.Storage;

namespace Dkms.Node.Tests.Rpc;

/// <summary>
/// Issue 18 item 3: RPC reads a status record the node publishes after each event, never the consensus loop's state.
/// One answer of <c>node.status</c> is then one moment: its block hash, time and state root are those of the block at
/// its height, however fast blocks commit meanwhile.
/// </summary>
public sealed class NodeStatusSnapshotTests
{
    private const string ChainId = "dkms-status-snapshot-tests";

    [Fact]
    public async Task Node_status_asked_while_blocks_commit_is_always_one_consistent_moment()
    {
        var key = Ed25519Signer.FromSeed(Hash32.Sha256("status-validator"u8).ToArray());
        var genesis = new GenesisDocument
        {
            ChainId = ChainId,
            Validators = [new GenesisValidator { Name = "v0", NodeKey = key.PublicKey.ToHex(), Address = "127.0.0.1:1", Power = 1 }],
        };
        var settings = new NodeSettings { Storage = "memory", RpcListen = "127.0.0.1:0" };
        await using var host = NodeHost.Create(settings, genesis, key, new InMemoryPeerHub().Join(key.PublicKey), _ => { }, store: new MemoryStore());
        await host.StartAsync();
        using var client = new DkmsRpcClient(host.RpcEndpoint);
        using var stop = new CancellationTokenSource();
        var builder = new TransactionBuilder(ChainId);
        // A stream of transactions: blocks commit one after the other, each with a new state root.
        var feeder = Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                await client.SubmitAsync(new TestIdentity($"status-{i}", builder).Incept(), SubmitModes.Async);
            }
        });

        var answers = (await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            var seen = new List<NodeStatusResult>();
            for (var i = 0; i < 250; i++) seen.Add(await client.NodeStatusAsync());
            return seen;
        })))).SelectMany(s => s).Where(s => s.Height > 0).ToList();
        await stop.CancelAsync();
        await feeder;

        Assert.True(answers.Select(a => a.Height).Distinct().Count() > 1, "no block committed while node.status was asked");
        var blocks = new Dictionary<ulong, BlockResult>();
        foreach (var a in answers)
        {
            if (!blocks.TryGetValue(a.Height, out var block)) blocks[a.Height] = block = await client.BlockAsync(a.Height);
            Assert.True(block.Hash == a.LastBlockHash && block.StateRoot == a.StateRoot && block.TimestampMs == a.LastBlockTimeMs,
                $"node.status at height {a.Height} mixed moments: hash {a.LastBlockHash}, root {a.StateRoot}, time {a.LastBlockTimeMs}; " +
                $"the block has {block.Hash}, {block.StateRoot}, {block.TimestampMs}");
        }
    }

    /// <summary>The types the RPC layer must not reach into: the state machine is owned by the consensus loop.</summary>
    private static readonly Type[] ConsensusOwned = [typeof(ConsensusStateMachine), typeof(ConsensusDriver), typeof(ConsensusEngine)];

    [Fact]
    public void No_code_of_the_rpc_layer_calls_into_the_consensus_loops_state()
    {
        var offenders = new List<string>();
        foreach (var type in typeof(NodeHost).Assembly.GetTypes().Where(t => t.Namespace == "Dkms.Node.Rpc"))
        {
            const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
            foreach (var method in type.GetMethods(all).Cast<MethodBase>().Concat(type.GetConstructors(all)))
            {
                foreach (var called in CalledMethods(method))
                {
                    var reaches = ConsensusOwned.Any(t => t.IsAssignableFrom(called.DeclaringType))
                        || (called.DeclaringType == typeof(ValidatorNode) && called.Name is "get_Consensus" or "get_ConsensusEngine");
                    if (reaches) offenders.Add($"{type.Name}.{method.Name} calls {called.DeclaringType!.Name}.{called.Name}");
                }
            }
        }

        Assert.True(offenders.Count == 0, string.Join("\n", offenders.Distinct()));
    }

    /// <summary>The methods a body calls (call, callvirt, newobj, ldftn), read from its IL.</summary>
    internal static IEnumerable<MethodBase> CalledMethods(MethodBase method)
    {
        var il = method.GetMethodBody()?.GetILAsByteArray();
        if (il is null) yield break;
        for (var i = 0; i + 4 < il.Length; i++)
        {
            var opcode = il[i];
            var twoByteLdftn = opcode == 0xFE && il[i + 1] == 0x06;
            if (opcode is not (0x28 or 0x6F or 0x73) && !twoByteLdftn) continue;
            var at = twoByteLdftn ? i + 2 : i + 1;
            if (at + 4 > il.Length) continue;
            var token = BitConverter.ToInt32(il, at);
            // Method definitions (0x06), member references (0x0A) and generic instantiations (0x2B) only.
            if ((token >> 24) is not (0x06 or 0x0A or 0x2B)) continue;
            MethodBase? called;
            try
            {
                called = method.Module.ResolveMethod(token, method.DeclaringType?.GetGenericArguments(),
                    method.IsGenericMethod ? method.GetGenericArguments() : null);
            }
            catch (Exception e) when (e is ArgumentException or BadImageFormatException)
            {
                continue; // not an instruction boundary: bytes that only look like a call
            }

            if (called is not null) yield return called;
        }
    }
}
