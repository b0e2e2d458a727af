using Dkms.Client;
using Dkms.Core.Transactions;
using Dkms.Ledger;
using Dkms.Node.Consensus;
using Dkms.Node.Mempool;
using Dkms.Node.Tests.Support;
using Dkms.Storage;

namespace Dkms.Node.Tests.Consensus;

/// <summary>The ledger behind the consensus application interface, called as the engine calls it.</summary>
public sealed class LedgerApplicationTests : IDisposable
{
    private const string ChainId = "dkms-application-tests";
    private const long Now = 1_780_000_000_000;

    private readonly MemoryStore _store = new();
    private readonly DkmsLedger _ledger;
    private readonly LedgerApplication _app;
    private readonly RunningWriter _writer;
    private readonly TransactionBuilder _builder = new(ChainId);

    public LedgerApplicationTests()
    {
        _ledger = DkmsLedger.Open(_store, new LedgerOptions(ChainId));
        var pool = new TransactionPool(_ledger, new MempoolOptions());
        // Admission through the pool's writer, as on a node: the application itself only reaps and updates the pool.
        _writer = new RunningWriter(pool, TimeProvider.System);
        _app = new LedgerApplication(_ledger, _store, pool);
    }

    public void Dispose()
    {
        _writer.Dispose();
        _store.Dispose();
    }

    private Transaction[] Pending(int count, string prefix)
    {
        var txs = Enumerable.Range(0, count).Select(i => new TestIdentity($"{prefix}/{i}", _builder).Incept()).ToArray();
        Assert.All(_writer.Admit(txs), o => Assert.Equal(AdmitStatus.Admitted, o.Status));
        return txs;
    }

    [Fact]
    public void The_selected_batch_executes_to_the_root_an_independent_execution_gives()
    {
        var txs = Pending(5, "selected");

        var batch = _app.SelectTransactions(1, Now, 100, 1 << 20);
        var result = _app.Execute(1, Now, batch);

        Assert.Equal(txs.Select(t => t.Encoded), batch);
        Assert.True(result.Accepted);
        Assert.Equal(_ledger.Execute(1, (ulong)Now, txs).StateRoot, result.StateRoot);
    }

    [Fact]
    public void A_batch_other_than_the_selected_one_is_executed_afresh()
    {
        var txs = Pending(5, "afresh");
        var selected = _app.SelectTransactions(1, Now, 100, 1 << 20);

        var fewer = _app.Execute(1, Now, selected.Take(3).ToArray());
        var later = _app.Execute(1, Now + 1, selected);

        Assert.Equal(_ledger.Execute(1, (ulong)Now, txs[..3]).StateRoot, fewer.StateRoot);
        Assert.Equal(_ledger.Execute(1, (ulong)Now + 1, txs).StateRoot, later.StateRoot);
        Assert.NotEqual(fewer.StateRoot, later.StateRoot);
    }
}
