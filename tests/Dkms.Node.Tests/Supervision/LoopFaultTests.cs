using System.Net;
using System.Text.Json.Nodes;
using Dkms.Client;
using Dkms.Core.Crypto;
using Dkms.Core.Encoding;
using Dkms.Core.Genesis;
using Dkms.Core.Primitives;
using Dkms.Core.Transactions;
using Dkms.Node.Networking;
using Dkms.Node.Tests.Support;
using Dkms.Rpc;
using Dkms.Storage;

namespace Dkms.Node.Tests.Supervision;

/// <summary>
/// Issue 18 item 4: a fault injected into each background loop — through a dependency of that loop that throws, not a
/// flag — must show in <c>/health</c> as unhealthy, naming the loop and its error, instead of the node answering "ok"
/// while async submissions stay pending forever or gossip is silently gone. (The exit of the process on such a failure
/// is in Process/LoopFailureProcessTests.)
/// </summary>
public sealed class LoopFaultTests
{
    private const string ChainId = "dkms-loop-supervision-tests";
    private static readonly TransactionBuilder Builder = new(ChainId);

    [Fact]
    public async Task A_fault_in_the_admission_loop_makes_health_unhealthy_naming_the_loop()
    {
        await using var node = await TestNode.StartAsync();
        node.Host.Node.Pool.Added += ThrowOnce("injected admission fault");

        var answer = await node.Client.SubmitAsync(new TestIdentity("admission-fault", Builder).Incept(), SubmitModes.Async);
        Assert.Equal(TxStatuses.Pending, answer.Status);

        await node.AssertLoopFailedAsync("admission", "injected admission fault");
    }

    [Fact]
    public async Task A_fault_in_the_gossip_receive_loop_makes_health_unhealthy_naming_the_loop()
    {
        await using var node = await TestNode.StartAsync();
        // Admission runs on the one admission writer (issue 18 §1): the gossip receive loop awaits its batch's admission
        // and fails with the writer's fault, instead of waiting forever for an answer.
        node.Host.Node.Pool.Added += ThrowOnce("injected gossip receive fault");

        var tx = new TestIdentity("gossip-receive-fault", Builder).Incept();
        node.Peer.Send(node.Key.PublicKey, NodeChannel.Mempool, Codec.Encode(new[] { tx.Encoded }));

        await node.AssertLoopFailedAsync("gossip-receive", "injected gossip receive fault");
    }

    [Fact]
    public async Task A_fault_in_the_gossip_send_loop_makes_health_unhealthy_naming_the_loop()
    {
        await using var node = await TestNode.StartAsync(link => new BroadcastFails(link, "injected gossip send fault"));

        var answer = await node.Client.SubmitAsync(new TestIdentity("gossip-send-fault", Builder).Incept(), SubmitModes.Sync);
        Assert.Equal(TxStatuses.Pending, answer.Status);

        await node.AssertLoopFailedAsync("gossip-send", "injected gossip send fault");
    }

    [Fact]
    public async Task A_fault_in_the_pending_journal_writer_makes_health_unhealthy_naming_the_loop()
    {
        var journal = new FailingStore();
        await using var node = await TestNode.StartAsync(journalStore: journal);
        journal.Failing = true;

        // The acknowledgement waits for the journal, which cannot write: the submission fails, and so must the node.
        await Assert.ThrowsAnyAsync<Exception>(() => node.Client.SubmitAsync(new TestIdentity("journal-fault", Builder).Incept(), SubmitModes.Async));

        await node.AssertLoopFailedAsync("pending-journal", "injected disk failure");
    }

    [Fact]
    public async Task A_fault_in_the_consensus_loop_makes_health_unhealthy_naming_the_loop()
    {
        var ledger = new FailingStore();
        await using var node = await TestNode.StartAsync(store: ledger);
        ledger.Failing = true;

        // Sync mode answers at admission; the loop fails when it writes the block.
        await node.Client.SubmitAsync(new TestIdentity("consensus-fault", Builder).Incept(), SubmitModes.Sync);

        // The engine wraps the store's error: /health shows the outer type and message only.
        await node.AssertLoopFailedAsync("consensus", "ConsensusStorageException");
    }

    /// <summary>A pool subscriber that throws the first time it is called: a fault inside whichever loop admitted.</summary>
    private static Action<IReadOnlyList<Transaction>> ThrowOnce(string message)
    {
        var thrown = 0;
        return _ =>
        {
            if (Interlocked.Exchange(ref thrown, 1) == 0) throw new InvalidOperationException(message);
        };
    }

    /// <summary>A memory store whose writes fail once armed (a broken disk).</summary>
    internal sealed class FailingStore : IKeyValueStore
    {
        private readonly MemoryStore _inner = new();

        public volatile bool Failing;

        public byte[]? Get(ReadOnlySpan<byte> key) => _inner.Get(key);
        public IEnumerable<KeyValuePair<byte[], byte[]>> Scan(byte[] prefix) => _inner.Scan(prefix);
        public IEnumerable<KeyValuePair<byte[], byte[]>> ScanReverse(byte[] prefix) => _inner.ScanReverse(prefix);
        public IKeyValueSnapshot Snapshot() => _inner.Snapshot();

        public void Write(WriteBatch batch, bool sync)
        {
            if (Failing) throw new StorageException("injected disk failure");
            _inner.Write(batch, sync);
        }

        public void Dispose() => _inner.Dispose();
    }

    /// <summary>A peer link whose mempool broadcasts throw (a transport bug).</summary>
    private sealed class BroadcastFails(IPeerLink inner, string message) : IPeerLink
    {
        public Action<PublicKey, NodeChannel, byte[]>? MessageReceived
        {
            get => inner.MessageReceived;
            set => inner.MessageReceived = value;
        }

        public IReadOnlyList<PublicKey> ConnectedPeers => inner.ConnectedPeers;

        public void UpdatePeers(IReadOnlyList<Dkms.Network.PeerAddress> peers) => inner.UpdatePeers(peers);

        public void Start() => inner.Start();

        public void Send(PublicKey peer, NodeChannel channel, byte[] m) => inner.Send(peer, channel, m);

        public void Broadcast(NodeChannel channel, byte[] m)
        {
            if (channel == NodeChannel.Mempool) throw new InvalidOperationException(message);
            inner.Broadcast(channel, m);
        }

        public void Dispose() => inner.Dispose();
    }

    /// <summary>One validator with its RPC on a free port, and a second member of its in-memory hub to send it gossip.</summary>
    private sealed class TestNode : IAsyncDisposable
    {
        private TestNode(NodeHost host, Ed25519Signer key, IPeerLink peer)
        {
            Host = host;
            Key = key;
            Peer = peer;
            Http = new HttpClient { BaseAddress = host.RpcEndpoint, Timeout = TimeSpan.FromSeconds(60) };
            Client = new DkmsRpcClient(Http);
        }

        public NodeHost Host { get; }
        public Ed25519Signer Key { get; }
        public IPeerLink Peer { get; }
        public HttpClient Http { get; }
        public DkmsRpcClient Client { get; }

        public static async Task<TestNode> StartAsync(Func<IPeerLink, IPeerLink>? wrap = null, IKeyValueStore? store = null,
            IKeyValueStore? journalStore = null)
        {
            var key = Ed25519Signer.FromSeed(Hash32.Sha256("supervised-validator"u8).ToArray());
            var peerKey = Ed25519Signer.FromSeed(Hash32.Sha256("supervised-peer"u8).ToArray());
            var genesis = new GenesisDocument
            {
                ChainId = ChainId,
                Validators = [new GenesisValidator { Name = "v0", NodeKey = key.PublicKey.ToHex(), Address = "127.0.0.1:1", Power = 1 }],
            };
            var hub = new InMemoryPeerHub();
            var link = hub.Join(key.PublicKey);
            var settings = new NodeSettings { Storage = "memory", RpcListen = "127.0.0.1:0" };
            var host = NodeHost.Create(settings, genesis, key, wrap is null ? link : wrap(link), _ => { }, store: store ?? new MemoryStore(),
                journalStore: journalStore);
            await host.StartAsync();
            var peer = hub.Join(peerKey.PublicKey);
            peer.Start();
            return new TestNode(host, key, peer);
        }

        private static bool NamesFailed(string body, string loop)
        {
            try
            {
                return JsonNode.Parse(body)?["loops"]?.AsArray().Any(l => (string?)l!["name"] == loop && (string?)l["state"] == "failed") == true;
            }
            catch (System.Text.Json.JsonException)
            {
                return false;
            }
        }

        /// <summary>Waits until <c>/health</c> stops answering ok, then checks that it names the loop and its error.</summary>
        public async Task AssertLoopFailedAsync(string loop, string error)
        {
            var (status, body) = await HealthAsync();
            var deadline = DateTime.UtcNow.AddSeconds(20);
            // Another loop may fail first (the gossip receive loop fails with the admission writer's fault, after it):
            // wait for the loop named, not only for /health to turn.
            while ((status == HttpStatusCode.OK || !NamesFailed(body, loop)) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(20);
                (status, body) = await HealthAsync();
            }

            Assert.True(status == HttpStatusCode.ServiceUnavailable, $"/health answered {(int)status} {body}");
            var failed = JsonNode.Parse(body)!["loops"]?.AsArray().SingleOrDefault(l => (string?)l!["name"] == loop);
            Assert.True(failed is not null, $"/health does not name the {loop} loop: {body}");
            Assert.Equal("failed", (string?)failed!["state"]);
            Assert.Contains(error, (string?)failed["lastError"], StringComparison.Ordinal);

            // Counted for alerting, too.
            var metrics = await Http.GetStringAsync(new Uri("metrics", UriKind.Relative));
            Assert.Contains($"dkms_loop_failures_total{{loop=\"{loop}\"}} 1", metrics, StringComparison.Ordinal);
            Assert.Contains($"dkms_loop_up{{loop=\"{loop}\"}} 0", metrics, StringComparison.Ordinal);
        }

        private async Task<(HttpStatusCode, string)> HealthAsync()
        {
            using var r = await Http.GetAsync(new Uri("health", UriKind.Relative));
            return (r.StatusCode, await r.Content.ReadAsStringAsync());
        }

        public async ValueTask DisposeAsync()
        {
            Client.Dispose();
            Http.Dispose();
            Peer.Dispose();
            await Host.DisposeAsync();
        }
    }
}
