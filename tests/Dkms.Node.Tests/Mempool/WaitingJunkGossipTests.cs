using System.Collections.Concurrent;
using Dkms.Client;
using Dkms.Core.Crypto;
using Dkms.Core.Encoding;
using Dkms.Core.Genesis;
using Dkms.Core.Primitives;
using Dkms.Core.Transactions;
using Dkms.Node.Mempool;
using Dkms.Node.Networking;
using Dkms.Node.Tests.Support;
using Dkms.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dkms.Node.Tests.Mempool;

/// <summary>
/// What a validator's transaction gossip sends, seen by an observer on the same in-memory hub: a transaction submitted
/// to the node is sent to the peers only once it is admissible, never while it waits for a predecessor nobody has.
/// </summary>
public sealed class WaitingJunkGossipTests : IAsyncLifetime
{
    private const string ChainId = "dkms-junk-gossip-tests";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private readonly InMemoryPeerHub _hub = new();
    private readonly TransactionBuilder _builder = new(ChainId);
    private readonly ConcurrentDictionary<Hash32, int> _gossiped = new();
    private IPeerLink _observer = null!;
    private ValidatorNode _node = null!;

    public Task InitializeAsync()
    {
        var key = Ed25519Signer.FromSeed(Hash32.Sha256("junk-gossip-validator"u8).ToArray());
        var genesis = new GenesisDocument
        {
            ChainId = ChainId,
            Validators = [new GenesisValidator { Name = "v0", NodeKey = key.PublicKey.ToHex(), Address = "127.0.0.1:26810", Power = 1 }],
        };
        _node = new ValidatorNode(genesis, new NodeSettings { Storage = "memory" }, key, new MemoryStore(), _hub.Join(key.PublicKey),
            NullLoggerFactory.Instance, TimeProvider.System);
        _observer = _hub.Join(Ed25519Signer.FromSeed(Hash32.Sha256("junk-gossip-observer"u8).ToArray()).PublicKey);
        _observer.MessageReceived = (_, channel, message) =>
        {
            if (channel != NodeChannel.Mempool) return;
            foreach (var bytes in Codec.Decode<byte[][]>(message))
            {
                // Everything the node sends decodes; a hash of the raw bytes would do as well, this names the transaction.
                if (TransactionCodec.TryDecode(bytes, out var tx, out var _)) _gossiped.AddOrUpdate(tx!.Hash, 1, (_, n) => n + 1);
            }
        };
        _observer.Start();
        _node.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _node.DisposeAsync();
        _observer.Dispose();
    }

    private async Task UntilAsync(Func<bool> done, string what)
    {
        var deadline = DateTime.UtcNow + Deadline;
        while (!done())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            await Task.Delay(10);
        }
    }

    /// <summary>Submits a fresh inception and waits until the observer has it: gossip is sent in order, so whatever the
    /// node was going to send before it has arrived too.</summary>
    private async Task DrainGossipAsync(string name)
    {
        var marker = new TestIdentity($"marker/{name}", _builder).Incept();
        Assert.Equal(AdmitStatus.Admitted, _node.Admit([marker])[0].Status);
        await UntilAsync(() => _gossiped.ContainsKey(marker.Hash), $"the marker {name} to be gossiped");
    }

    [Fact]
    public async Task A_seeded_flood_of_waiting_junk_is_never_gossiped()
    {
        var owners = Enumerable.Range(0, 10).Select(i => new TestIdentity($"owner{i}", _builder)).ToArray();
        var inceptions = owners.Select(o => o.Incept()).ToArray();
        _node.Admit(inceptions);
        await UntilAsync(() => inceptions.All(t => _node.Ledger.GetTransaction(t.Hash) is not null), "the owners' inceptions to commit");
        var junk = new WaitingJunk(_builder, seed: 17);
        var known = owners.Select(o => (o.Id, o.Sequence)).ToList();
        var flood = Enumerable.Range(0, 300).Select(_ => junk.Next(known)).ToArray();

        var outcomes = _node.Admit(flood);
        await DrainGossipAsync("after the flood");

        var kept = flood.Where((_, i) => outcomes[i].Status == AdmitStatus.Admitted).ToList();
        Assert.DoesNotContain(flood, t => _gossiped.ContainsKey(t.Hash));
        Assert.All(kept, t => Assert.True(_node.Pool.IsWaiting(t.Hash)));
    }

    [Fact]
    public async Task A_transaction_waiting_for_a_missing_predecessor_is_gossiped_once_the_predecessor_comes()
    {
        var alice = new TestIdentity("alice", _builder);
        var inception = alice.Incept();
        _node.Admit([inception]);
        await UntilAsync(() => _node.Ledger.GetTransaction(inception.Hash) is not null, "alice's inception to commit");
        var second = alice.Rotate();
        var third = alice.Rotate();

        Assert.Equal(AdmitStatus.Admitted, _node.Admit([third])[0].Status);
        await DrainGossipAsync("while the third waits");
        Assert.False(_gossiped.ContainsKey(third.Hash));

        Assert.Equal(AdmitStatus.Admitted, _node.Admit([second])[0].Status);
        await UntilAsync(() => _gossiped.ContainsKey(second.Hash) && _gossiped.ContainsKey(third.Hash), "both to be gossiped");
        await UntilAsync(() => _node.Ledger.GetTransaction(third.Hash) is not null, "the third to commit");
        Assert.Equal(1, _gossiped[third.Hash]);
    }
}
