using Dkms.Consensus;
using Dkms.Core.Blocks;
using Dkms.Core.Genesis;
using Dkms.Core.Primitives;
using Dkms.Core.Transactions;
using Dkms.Ledger;
using Dkms.Storage;

namespace Dkms.Adversary;

/// <summary>
/// The adversary's own copy of the chain, in memory: it asks the honest validators for each committed block (the
/// catch-up request every node serves), checks the certificate and executes it. With it the adversary knows the
/// state root any block of its choosing executes to, so its proposals are valid blocks — the honest validators'
/// content checks (size, transactions, header binding) are what gets attacked, not the state root.
/// Single-threaded: the campaign drives it.
/// </summary>
public sealed class LedgerReplica
{
    private static readonly TimeSpan RequestInterval = TimeSpan.FromMilliseconds(50);

    private readonly GenesisDocument _genesis;
    private readonly DkmsLedger _ledger;
    private DateTime _lastRequest = DateTime.MinValue;
    private int _nextPeer;

    public LedgerReplica(GenesisDocument genesis)
    {
        _genesis = genesis;
        _ledger = DkmsLedger.Open(new MemoryStore(), new LedgerOptions(genesis.ChainId));
        _ledger.InitializeGenesis(genesis.ValidatorEntries(), genesis.Ledger);
    }

    public GenesisDocument Genesis => _genesis;

    /// <summary>Height of the last block applied.</summary>
    public ulong Height => _ledger.Height;

    public Hash32 LastBlockHash { get; private set; }

    public long LastBlockTimeMs => (long)_ledger.LastBlockTimeMs;

    /// <summary>Blocks the honest validators sent that did not verify or execute here (should stay 0).</summary>
    public int Refused { get; private set; }

    /// <summary>Asks one connected validator (in turn) for the block after <see cref="Height"/>, at most every 50 ms.</summary>
    public void RequestNext(AdversaryPeer peer, IReadOnlyList<PublicKey> connected)
    {
        if (connected.Count == 0 || DateTime.UtcNow - _lastRequest < RequestInterval) return;
        _lastRequest = DateTime.UtcNow;
        peer.Send(connected[_nextPeer++ % connected.Count], Network.PeerChannel.Consensus, ConsensusMessage.EncodeRequest(Height + 1));
    }

    /// <summary>Applies a block response for the next height; anything else is ignored.</summary>
    public void Offer(Block? block, CommitCertificate? certificate)
    {
        if (block?.Header is null || certificate is null || block.Height != Height + 1 || block.Transactions is null) return;
        var validators = new ValidatorSet(_ledger.ValidatorSetAt(block.Height)!.Select(v => new Validator(v.NodeKey, v.Power)));
        if (!certificate.Verify(validators, _genesis.ChainId, block.Hash, out _) || !block.TransactionRootMatches() || block.Header.TimestampMs < LastBlockTimeMs)
        {
            Refused++;
            return;
        }

        var executed = Execute(block.Header.TimestampMs, block.Transactions);
        if (executed is null || executed.StateRoot != block.Header.StateRoot)
        {
            Refused++;
            return;
        }

        _ledger.Commit(executed);
        LastBlockHash = block.Hash;
    }

    /// <summary>The state root of <paramref name="txs"/> as the next block at <paramref name="timestampMs"/>; null when the ledger rejects one of them.</summary>
    public Hash32? StateRootOf(long timestampMs, IReadOnlyList<byte[]> txs) => Execute(timestampMs, txs)?.StateRoot;

    /// <summary>The validators in force for the next block.</summary>
    public ValidatorSet NextValidators() =>
        new(_ledger.ValidatorSetAt(Height + 1)!.Select(v => new Validator(v.NodeKey, v.Power)));

    private Ledger.Execution.ExecutedBlock? Execute(long timestampMs, IReadOnlyList<byte[]> encoded)
    {
        var txs = new List<Transaction>(encoded.Count);
        foreach (var bytes in encoded)
        {
            if (!TransactionCodec.TryDecode(bytes, out var tx, out _)) return null;
            txs.Add(tx!);
        }

        var executed = _ledger.Execute(Height + 1, (ulong)timestampMs, txs);
        return executed.AllAccepted ? executed : null;
    }
}
