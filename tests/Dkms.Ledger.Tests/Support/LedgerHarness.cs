using Dkms.Core.Transactions;
using Dkms.Storage;

namespace Dkms.Ledger.Tests.Support;

/// <summary>A ledger on an in-memory store with a controllable block clock; every call commits one block.</summary>
public sealed class LedgerHarness : IDisposable
{
    public const string Chain = "dkms-test";

    public LedgerHarness(IKeyValueStore? store = null)
    {
        Store = store ?? new MemoryStore();
        Ledger = DkmsLedger.Open(Store, new LedgerOptions(Chain));
    }

    public IKeyValueStore Store { get; }

    public DkmsLedger Ledger { get; private set; }

    /// <summary>Block time of the next block, unix milliseconds.</summary>
    public ulong TimeMs { get; set; } = 1_750_000_000_000;

    /// <summary>Executes and commits one block; returns one result per transaction.</summary>
    public TxResult[] Block(params Transaction[] txs)
    {
        var b = Ledger.Execute(Ledger.Height + 1, TimeMs, txs);
        Ledger.Commit(b);
        TimeMs += 1000;
        return [.. b.Results];
    }

    public TxResult Submit(Transaction tx) => Block(tx)[0];

    /// <summary>Submits and asserts acceptance.</summary>
    public void Accept(Transaction tx)
    {
        var r = Submit(tx);
        Assert.True(r.IsOk, $"expected {tx.Type} to be accepted, got {r}");
    }

    /// <summary>Submits and asserts rejection with <paramref name="code"/>.</summary>
    public TxResult Reject(Transaction tx, ErrorCode code)
    {
        var r = Submit(tx);
        Assert.Equal(code, r.Code);
        Assert.False(string.IsNullOrWhiteSpace(r.Message));
        return r;
    }

    /// <summary>The sequence the next transaction on <paramref name="actor"/> must carry.</summary>
    public ulong Seq(Actor actor) => (Ledger.GetIdentity(actor.Id)?.Sequence ?? 0) + 1;

    /// <summary>Creates <paramref name="actor"/>'s identity.</summary>
    public Actor Create(Actor actor, RecoveryPolicy? recovery = null, KeyAgreementKeyEntry[]? keyAgreement = null)
    {
        Accept(actor.Incept(recovery, keyAgreement));
        return actor;
    }

    public void Reopen()
    {
        Ledger = DkmsLedger.Open(Store, new LedgerOptions(Chain));
    }

    public void Dispose() => Store.Dispose();
}
