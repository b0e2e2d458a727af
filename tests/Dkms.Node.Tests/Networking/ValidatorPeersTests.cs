using Dkms.Core.Crypto;
using Dkms.Core.Primitives;
using Dkms.Core.Transactions;
using Dkms.Ledger;
using Dkms.Node.Networking;
using Dkms.Storage;

namespace Dkms.Node.Tests.Networking;

/// <summary><see cref="ValidatorPeers"/>: when an added validator becomes a peer and when a removed one stops being one.</summary>
public sealed class ValidatorPeersTests
{
    private const string Chain = "peers-test";

    private static readonly Ed25519Signer[] Nodes = [.. Enumerable.Range(0, 5).Select(i => Ed25519Signer.FromSeed(Hash32.Sha256([.. "peers-test"u8, (byte)i]).ToArray()))];

    private static ValidatorEntry Entry(int i, int port) => new(Nodes[i].PublicKey, $"127.0.0.1:{port}", 1);

    [Fact]
    public void Added_validators_are_peers_from_the_commit_and_removed_ones_until_their_last_height_is_committed()
    {
        using var store = new MemoryStore();
        var ledger = DkmsLedger.Open(store, new LedgerOptions(Chain));
        ledger.InitializeGenesis([.. Enumerable.Range(0, 4).Select(i => Entry(i, 7000 + i))]);
        Assert.Equal(Keys(0, 1, 2, 3), Keys(ValidatorPeers.From(ledger)));

        // Height 1 commits: node 3 out, node 4 in, node 1 moves. In force from height 3.
        ValidatorEntry[] next = [Entry(0, 7000), Entry(1, 7101), Entry(2, 7002), Entry(4, 7004)];
        var change = TransactionCodec.Sign(new TxBody(Chain, Governance.Subject, 1, new SetValidatorsPayload(next)), [.. Nodes.Take(3).Select(n => ((ISigner)n, (IdentityId?)null))]);
        Commit(ledger, 1, change);

        // Height 2 is still voted by the old set, so node 3 stays; node 4 is already dialled; node 1 at its new address.
        var peers = ValidatorPeers.From(ledger);
        Assert.Equal(Keys(0, 1, 2, 3, 4), Keys(peers));
        Assert.Equal("127.0.0.1:7101", peers.Single(p => p.Key == Nodes[1].PublicKey).Address);
        Assert.Equal("127.0.0.1:7004", peers.Single(p => p.Key == Nodes[4].PublicKey).Address);

        Commit(ledger, 2);
        Assert.Equal(Keys(0, 1, 2, 4), Keys(ValidatorPeers.From(ledger)));
        Commit(ledger, 3);
        Assert.Equal(Keys(0, 1, 2, 4), Keys(ValidatorPeers.From(ledger)));
    }

    [Fact]
    public void An_observer_keeps_its_configured_peers_and_adds_the_committed_validators_at_the_address_it_was_given_for_one_it_lists()
    {
        using var store = new MemoryStore();
        var ledger = DkmsLedger.Open(store, new LedgerOptions(Chain));
        ledger.InitializeGenesis([.. Enumerable.Range(0, 4).Select(i => Entry(i, 7000 + i))]);
        // Configured: validator 1 at another route, and node 4 (another observer, in no validator set).
        Dkms.Network.PeerAddress[] configured = [new(Nodes[1].PublicKey, "10.0.0.1:7001"), new(Nodes[4].PublicKey, "127.0.0.1:7004")];

        var peers = ObserverPeers.WithValidators(configured, ValidatorPeers.From(ledger));

        Assert.Equal(Keys(0, 1, 2, 3, 4), Keys(peers));
        Assert.Equal("10.0.0.1:7001", peers.Single(p => p.Key == Nodes[1].PublicKey).Address);
        Assert.Equal("127.0.0.1:7002", peers.Single(p => p.Key == Nodes[2].PublicKey).Address);
        Assert.Equal(peers.Select(p => p.Key).Order(), peers.Select(p => p.Key)); // one order, so an unchanged set is not re-applied
    }

    private static void Commit(DkmsLedger ledger, ulong height, params Transaction[] txs)
    {
        var executed = ledger.Execute(height, 1_000 * height, txs);
        Assert.True(executed.AllAccepted, string.Join("; ", executed.Results));
        ledger.Commit(executed);
    }

    private static PublicKey[] Keys(params int[] nodes) => [.. nodes.Select(i => Nodes[i].PublicKey).Order()];

    private static PublicKey[] Keys(IEnumerable<Dkms.Network.PeerAddress> peers) => [.. peers.Select(p => p.Key).Order()];
}
