using Dkms.Core.Crypto;
using Dkms.Core.Primitives;
using Dkms.Core.Transactions;

namespace Dkms.Node.Tests;

public class LedgerConsensusTests
{
    private static Ed25519Signer Key(string label) => Ed25519Signer.FromSeed(Hash32.Sha256(System.Text.Encoding.UTF8.GetBytes(label)).ToArray());

    private static (Transaction Tx, IdentityId Id) Inception(string name)
    {
        var current = Key(name + "/0");
        var next = Key(name + "/1");
        var payload = new InceptionPayload(new KeyConfig([current.PublicKey], 1, [next.PublicKey.Digest()], 1), [], null);
        var id = TransactionCodec.DeriveIdentity(payload);
        return (TransactionCodec.Sign(new TxBody(LedgerNet.ChainId, id, 1, payload), [(current, null)]), id);
    }

    private static Transaction Rotation(string name, IdentityId id)
    {
        var next = Key(name + "/1");
        var afterNext = Key(name + "/2");
        var payload = new RotationPayload(new KeyConfig([next.PublicKey], 1, [afterNext.PublicKey.Digest()], 1));
        return TransactionCodec.Sign(new TxBody(LedgerNet.ChainId, id, 2, payload), [(next, null)]);
    }

    [Fact]
    public void Four_validators_commit_ledger_transactions_with_identical_state_roots()
    {
        using var net = new LedgerNet(n: 4, running: 4, seed: 1);
        var identities = Enumerable.Range(0, 20).Select(i => Inception($"user{i}")).ToArray();
        net.Submit([.. identities.Select(x => x.Tx)]);
        Assert.True(net.RunUntil(() => net.Apps.All(a => identities.All(x => a.Ledger.GetIdentity(x.Id) is not null)), TimeSpan.FromSeconds(10)));

        net.Submit([.. identities.Select((x, i) => Rotation($"user{i}", x.Id))]);
        Assert.True(net.RunUntil(() => net.Apps.All(a => identities.All(x => a.Ledger.GetIdentity(x.Id)!.Sequence == 2)), TimeSpan.FromSeconds(10)));
        Assert.True(net.RunUntil(() => net.Apps.Select(a => a.Ledger.Height).Distinct().Count() == 1, TimeSpan.FromSeconds(5)));

        var first = net.Apps[0];
        Assert.All(net.Apps, a => Assert.Equal(first.Ledger.StateRoot, a.Ledger.StateRoot));
        for (var h = 1UL; h <= first.Ledger.Height; h++)
        {
            Assert.True(first.TryGetCommitted(h, out var block, out var cert));
            Assert.Equal(first.Ledger.GetHeight(h)!.StateRoot, block.Header.StateRoot);
            Assert.True(cert.Verify(first.ValidatorSetAt(h), LedgerNet.ChainId, block.Hash));
            Assert.All(net.Apps, a => Assert.True(a.TryGetCommitted(h, out var other, out _) && other.Hash == block.Hash));
        }

        Assert.Equal(0, first.Pool.Count);
    }

    [Fact]
    public void Invalid_transactions_never_reach_a_block()
    {
        using var net = new LedgerNet(n: 4, running: 4, seed: 2);
        var (tx, id) = Inception("alice");
        var thief = Key("thief");
        var stolen = TransactionCodec.Sign(new TxBody(LedgerNet.ChainId, id, 2, new DeactivatePayload()), [(Key("alice/0"), null)]);
        net.Submit(tx);
        Assert.True(net.RunUntil(() => net.Apps.All(a => a.Ledger.GetIdentity(id) is not null), TimeSpan.FromSeconds(5)));
        Assert.Equal(ErrorCode.ThresholdNotMet, net.SubmitTo(0, stolen).Code);
        Assert.NotEqual(ErrorCode.Ok, net.SubmitTo(0, TransactionCodec.Sign(new TxBody("other-chain", id, 2, new DeactivatePayload()), [(thief, null)])).Code);
        Assert.Equal(0, net.Apps[0].Pool.Count);
    }

    [Fact]
    public void SetValidators_committed_on_the_ledger_changes_the_engines_validator_set_two_heights_later()
    {
        // Five nodes run; only four are in the genesis set. The fifth joins through a governance transaction.
        using var net = new LedgerNet(n: 5, running: 4, seed: 3);
        var newSet = net.Nodes.Select((s, i) => new ValidatorEntry(s.PublicKey, $"127.0.0.1:{26000 + i}", 10)).ToArray();
        var change = TransactionCodec.Sign(new TxBody(LedgerNet.ChainId, Governance.Subject, 1, new SetValidatorsPayload(newSet)),
            net.Nodes.Take(3).Select(s => ((ISigner)s, (IdentityId?)null)));
        net.Submit(change);
        Assert.True(net.RunUntil(() => net.Apps.All(a => a.Ledger.GetTransaction(change.Hash) is not null), TimeSpan.FromSeconds(10)));
        var committedAt = net.Apps[0].Ledger.GetTransaction(change.Hash)!.Height;

        var more = Enumerable.Range(0, 6).Select(i => Inception($"later{i}")).ToArray();
        foreach (var (tx, _) in more)
        {
            net.Submit(tx);
            net.RunUntil(() => net.Apps.All(a => a.Ledger.GetTransaction(tx.Hash) is not null), TimeSpan.FromSeconds(10));
        }

        Assert.True(net.Apps[0].Ledger.Height >= committedAt + 3);
        foreach (var app in net.Apps)
        {
            Assert.Equal(4, app.ValidatorSetAt(committedAt + 1).Count);
            Assert.Equal(5, app.ValidatorSetAt(committedAt + 2).Count);
        }

        // Blocks after activation are certified against the five-member set.
        var last = net.Apps[0].Ledger.Height;
        Assert.True(net.Apps[0].TryGetCommitted(last, out var block, out var cert));
        Assert.True(cert.Verify(net.Apps[0].ValidatorSetAt(last), LedgerNet.ChainId, block.Hash));
        Assert.All(net.Apps, a => Assert.Equal(net.Apps[0].Ledger.StateRoot, a.Ledger.StateRoot));
    }
}
