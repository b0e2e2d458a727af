using Dkms.Core.Genesis;
using Dkms.Core.Primitives;
using Dkms.Core.Transactions;
using Dkms.Storage;

namespace Dkms.Ledger.Tests.Support;

/// <summary>
/// A ledger on an in-memory store with a controllable block clock; every call commits one block. A fresh store gets
/// a genesis (unless told not to): the validators given (default one validator) and the parameters given (default
/// <see cref="Parameters"/>: a one-minute minimum recovery delay).
/// </summary>
public sealed class LedgerHarness : IDisposable
{
    public const string Chain = "dkms-test";

    /// <summary>The chain minimum recovery delay of a harness's genesis unless a test names another, seconds.</summary>
    public const ulong MinRecoveryDelaySeconds = 60;

    public static readonly LedgerParameters Parameters = new() { MinRecoveryDelaySeconds = MinRecoveryDelaySeconds };

    public LedgerHarness(IKeyValueStore? store = null, LedgerParameters? parameters = null, ValidatorEntry[]? validators = null, bool genesis = true)
    {
        Store = store ?? new MemoryStore();
        Ledger = DkmsLedger.Open(Store, new LedgerOptions(Chain));
        if (genesis && Ledger.Height == 0 && Ledger.ValidatorSetAt(0) is null)
        {
            Ledger.InitializeGenesis(validators ?? [new ValidatorEntry(new PublicKey(new byte[PublicKey.Size]), "127.0.0.1:1", 1)], parameters ?? Parameters);
        }
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
