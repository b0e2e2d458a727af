using Dkms.Consensus;
using Dkms.Core.Blocks;
using Dkms.Core.Crypto;
using Dkms.Core.Encoding;
using Dkms.Core.Genesis;
using Dkms.Core.Primitives;
using Dkms.Node.Networking;
using Dkms.Node.Tests.Support;
using Dkms.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dkms.Node.Tests;

/// <summary>Issue 16 items 1 and 7 at the node: a peer's bytes never stop the consensus loop; only this node's own
/// storage does; block validity is the genesis rule.</summary>
public sealed class ConsensusLoopFaultTests
{
    private const string ChainId = "dkms-loop-fault-tests";

    /// <summary>A memory store that fails every write once armed (a full or broken disk).</summary>
    private sealed class FailingStore : IKeyValueStore
    {
        private readonly MemoryStore _inner = new();

        public volatile bool Failing;

        public byte[]? Get(ReadOnlySpan<byte> key) => _inner.Get(key);
        public IEnumerable<KeyValuePair<byte[], byte[]>> Scan(byte[] prefix) => _inner.Scan(prefix);
        public IEnumerable<KeyValuePair<byte[], byte[]>> ScanReverse(byte[] prefix) => _inner.ScanReverse(prefix);
        public IKeyValueSnapshot Snapshot() => _inner.Snapshot();

        public void Write(WriteBatch batch, bool sync)
        {
            if (Failing) throw new StorageException("disk full");
            _inner.Write(batch, sync);
        }

        public void Dispose() => _inner.Dispose();
    }

    private static (ValidatorNode Node, IPeerLink Attacker, Ed25519Signer AttackerKey) NewNode(IKeyValueStore store)
    {
        var key = Ed25519Signer.FromSeed(Hash32.Sha256("loop-fault-validator"u8).ToArray());
        var attackerKey = Ed25519Signer.FromSeed(Hash32.Sha256("loop-fault-attacker"u8).ToArray());
        var genesis = new GenesisDocument
        {
            ChainId = ChainId,
            Validators = [new GenesisValidator { Name = "v0", NodeKey = key.PublicKey.ToHex(), Address = "127.0.0.1:26800", Power = 1 }],
        };
        var hub = new InMemoryPeerHub();
        var node = new ValidatorNode(genesis, new NodeSettings { Storage = "memory" }, key, store, hub.Join(key.PublicKey),
            NullLoggerFactory.Instance, TimeProvider.System);
        var attacker = hub.Join(attackerKey.PublicKey);
        attacker.Start();
        return (node, attacker, attackerKey);
    }

    private static async Task WaitFor(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition() && DateTime.UtcNow < deadline) await Task.Delay(10);
    }

    [Fact]
    public async Task Malformed_consensus_messages_from_a_peer_are_dropped_and_the_node_keeps_committing()
    {
        var (node, attacker, attackerKey) = NewNode(new MemoryStore());
        await using var _ = node;
        using var __ = attacker;
        node.Start();
        var target = node.NodeKey.PublicKey;
        var height = node.Ledger.Height + 1;
        var sig = new byte[64];
        var header = new BlockHeader(ChainId, height, 0, Hash32.Zero, Hash32.Zero, Hash32.Zero, attackerKey.PublicKey, 1);
        var certificate = new CommitCertificate(height, 0, Hash32.Sha256("x"u8), null!);
        byte[][] messages =
        [
            Codec.Encode(new ConsensusMessage(MessageKind.Proposal, new Proposal(height, 0, -1, null!, attackerKey.PublicKey, sig), null, height, null, null)),
            Codec.Encode(new ConsensusMessage(MessageKind.BlockResponse, null, null, height, new Block(null!, []), certificate)),
            Codec.Encode(new ConsensusMessage(MessageKind.BlockResponse, null, null, height, new Block(header, [null!]), certificate)),
            [0x96, 0x01, 0xc0, 0xc0, 0x01, 0xc0, 0xc0],
        ];
        foreach (var m in messages) attacker.Send(target, NodeChannel.Consensus, m);
        await WaitFor(() => node.ConsensusEngine.Intake[attackerKey.PublicKey, DropReason.Malformed] >= messages.Length);

        var tx = new TestIdentity("after-the-attack", new Dkms.Client.TransactionBuilder(ChainId)).Incept();
        node.Admit([tx]);
        await WaitFor(() => node.Ledger.GetTransaction(tx.Hash) is not null);

        Assert.Equal(messages.Length, node.ConsensusEngine.Intake[attackerKey.PublicKey, DropReason.Malformed]);
        Assert.NotNull(node.Ledger.GetTransaction(tx.Hash));
        Assert.False(node.Loop.IsCompleted);
        Assert.Equal(0L, node.ConsensusEngine.ContainedFaults);
    }

    [Fact]
    public async Task A_fault_of_the_nodes_own_storage_stops_the_consensus_loop()
    {
        var store = new FailingStore();
        var (node, attacker, _) = NewNode(store);
        await using var _ = node;
        using var __ = attacker;
        node.Start();
        store.Failing = true;
        node.Admit([new TestIdentity("never-stored", new Dkms.Client.TransactionBuilder(ChainId)).Incept()]);

        await WaitFor(() => node.Loop.IsCompleted);

        Assert.True(node.Loop.IsFaulted);
        Assert.Contains(node.Loop.Exception!.InnerExceptions, e => e is ConsensusStorageException or StorageException);
    }

    [Fact]
    public void Block_validity_limits_come_from_the_genesis_and_a_local_setting_only_caps_proposals()
    {
        var genesis = new GenesisDocument
        {
            ChainId = ChainId,
            Validators = [],
            Consensus = new ConsensusParameters { MaxBlockTransactions = 500, MaxBlockBytes = 1 << 20 },
        };
        var lower = ValidatorNode.ConsensusOptionsFor(genesis, new NodeSettings { Consensus = new ConsensusOverrides { MaxBlockTransactions = 10 } });
        var higher = ValidatorNode.ConsensusOptionsFor(genesis, new NodeSettings { Consensus = new ConsensusOverrides { MaxBlockTransactions = 9000 } });

        Assert.Equal(new BlockLimits(500, 1 << 20), lower.Limits);
        Assert.Equal(new BlockLimits(500, 1 << 20), higher.Limits);
        Assert.Equal(10, lower.MaxBlockTransactions);
        Assert.Equal(500, higher.MaxBlockTransactions);
    }
}
