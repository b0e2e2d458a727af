using Dkms.Core.Blocks;
using Dkms.Core.Crypto;
using Dkms.Core.Encoding;
using Dkms.Core.Primitives;
using Dkms.Core.Transactions;
using Dkms.Ledger;
using Dkms.Node.Maintenance;
using Dkms.Storage;

namespace Dkms.Node.Tests.Maintenance;

/// <summary>
/// <c>dkms-node reindex</c>'s replay: every derived region rebuilt from blocks and certificates alone, each certificate
/// checked against the validator set as the replay evolves it, and nothing written from a block that fails a check.
/// </summary>
public sealed class ReindexTests
{
    private static Ed25519Signer Key(string name) => Ed25519Signer.FromSeed(Hash32.Sha256(System.Text.Encoding.UTF8.GetBytes(name)).ToArray());

    private static Transaction Inception(string name)
    {
        var key = Key(name + "/0");
        var payload = new InceptionPayload(new KeyConfig([key.PublicKey], 1, [Key(name + "/1").PublicKey.Digest()], 1), [], null);
        return TransactionCodec.Sign(new TxBody(LedgerNet.ChainId, TransactionCodec.DeriveIdentity(payload), 1, payload), [(key, null)]);
    }

    private static Transaction Rotation(string name, IdentityId id) =>
        TransactionCodec.Sign(new TxBody(LedgerNet.ChainId, id, 2,
            new RotationPayload(new KeyConfig([Key(name + "/1").PublicKey], 1, [Key(name + "/2").PublicKey.Digest()], 1))), [(Key(name + "/1"), null)]);

    /// <summary>A chain whose validator set changes from four to five validators part way, with identities created and rotated
    /// before and after the change.</summary>
    private static LedgerNet Chain()
    {
        var net = new LedgerNet(n: 5, running: 4, seed: 3);
        var first = Enumerable.Range(0, 8).Select(i => Inception($"early{i}")).ToArray();
        net.Submit(first);
        Assert.True(net.RunUntil(() => net.Apps.All(a => first.All(t => a.Ledger.GetTransaction(t.Hash) is not null)), TimeSpan.FromSeconds(20)));
        var all = net.Nodes.Select((s, i) => new ValidatorEntry(s.PublicKey, $"127.0.0.1:{26000 + i}", 10)).ToArray();
        var change = TransactionCodec.Sign(new TxBody(LedgerNet.ChainId, Governance.Subject, 1, new SetValidatorsPayload(all)),
            net.Nodes.Take(3).Select(s => ((ISigner)s, (IdentityId?)null)));
        net.Submit(change);
        Assert.True(net.RunUntil(() => net.Apps.All(a => a.Ledger.GetTransaction(change.Hash) is not null), TimeSpan.FromSeconds(20)));
        for (var i = 0; i < 8; i++)
        {
            var later = new[] { Rotation($"early{i}", first[i].Body.Subject), Inception($"late{i}") };
            net.Submit(later);
            Assert.True(net.RunUntil(() => net.Apps.All(a => later.All(t => a.Ledger.GetTransaction(t.Hash) is not null)), TimeSpan.FromSeconds(20)));
        }

        return net;
    }

    [Fact]
    public void A_reindexed_store_holds_exactly_what_the_original_held_and_serves_the_same_state_root_at_every_height()
    {
        using var net = Chain();
        var source = net.Stores[0];
        var original = net.Apps[0].Ledger;
        var target = new MemoryStore();

        var reached = LedgerRebuild.Replay(source, target, LedgerNet.ChainId, net.Genesis, null);

        Assert.Equal(original.Height, reached);
        var rebuilt = DkmsLedger.Open(target, new LedgerOptions(LedgerNet.ChainId));
        Assert.Equal(original.StateRoot, rebuilt.StateRoot);
        for (var h = 0UL; h <= original.Height; h++)
        {
            Assert.Equal(original.GetHeight(h), rebuilt.GetHeight(h));
            Assert.Equal(original.ValidatorSetAt(h + 1)!.Length, rebuilt.ValidatorSetAt(h + 1)!.Length);
        }

        // Every key and value: state, history, checkpoints, indexes, blocks and certificates.
        var expected = source.Scan([]).ToArray();
        var actual = target.Scan([]).ToArray();
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i].Key, actual[i].Key);
            Assert.True(expected[i].Value.AsSpan().SequenceEqual(actual[i].Value), $"value of {Convert.ToHexStringLower(expected[i].Key)} differs");
        }
    }

    [Fact]
    public void A_certificate_that_does_not_verify_stops_the_rebuild_before_its_block()
    {
        using var net = Chain();
        var source = net.Stores[0];
        const ulong height = 4;
        var certificate = Codec.Decode<CommitCertificate>(source.Get(StoreLayout.HeightKey(StoreLayout.Certificates, height))!);
        // Keep one signature fewer than a quorum needs: the block is not certified.
        var forged = new CommitCertificate(certificate.Height, certificate.Round, certificate.BlockHash, [.. certificate.Signatures.Take(2)]);
        source.Write(new WriteBatch().Put(StoreLayout.HeightKey(StoreLayout.Certificates, height), Codec.Encode(forged)), sync: true);

        var target = new MemoryStore();
        var e = Assert.Throws<StorageCorruptionException>(() => LedgerRebuild.Replay(source, target, LedgerNet.ChainId, net.Genesis, null));
        Assert.Contains($"height {height}", e.Message);
        Assert.Contains("certificate", e.Message);
        Assert.Null(target.Get(StoreLayout.HeightKey(StoreLayout.Blocks, height)));
        Assert.NotNull(target.Get(StoreLayout.HeightKey(StoreLayout.Blocks, height - 1)));
    }

    [Fact]
    public void A_block_whose_transactions_were_changed_stops_the_rebuild_before_it()
    {
        using var net = Chain();
        var source = net.Stores[0];
        var height = Enumerable.Range(1, (int)net.Apps[0].Ledger.Height).Select(h => (ulong)h)
            .First(h => Codec.Decode<Block>(source.Get(StoreLayout.HeightKey(StoreLayout.Blocks, h))!).Transactions.Count > 1);
        var block = Codec.Decode<Block>(source.Get(StoreLayout.HeightKey(StoreLayout.Blocks, height))!);
        var dropped = new Block(block.Header, [.. block.Transactions.Skip(1)]);
        source.Write(new WriteBatch().Put(StoreLayout.HeightKey(StoreLayout.Blocks, height), Codec.Encode(dropped)), sync: true);

        var target = new MemoryStore();
        var e = Assert.Throws<StorageCorruptionException>(() => LedgerRebuild.Replay(source, target, LedgerNet.ChainId, net.Genesis, null));
        Assert.Contains($"height {height}", e.Message);
        Assert.Null(target.Get(StoreLayout.HeightKey(StoreLayout.Blocks, height)));
    }
}
