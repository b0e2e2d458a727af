using System.Diagnostics;
using Dkms.Client;
using Dkms.Core.Crypto;
using Dkms.Core.Primitives;
using Dkms.Core.Transactions;
using Dkms.Node;

namespace Dkms.Adversary.Tests.Support;

/// <summary>
/// An honest client during the attack: submits a small batch of new identities to one honest validator (in turn),
/// waits until every honest validator has committed all of it, and starts again. A batch not committed everywhere
/// within <see cref="CommitDeadline"/> means the chain stalled (or a validator fell behind for good).
/// </summary>
public sealed class Probes(IReadOnlyList<ValidatorNode> nodes, string chainId, string name)
{
    /// <summary>Generous: a healthy testnet commits a batch in well under a second.</summary>
    public static readonly TimeSpan CommitDeadline = TimeSpan.FromSeconds(30);

    private const int BatchSize = 4;

    private readonly TransactionBuilder _builder = new(chainId);
    private int _next;

    /// <summary>Batches committed by every honest validator.</summary>
    public int Committed { get; private set; }

    /// <summary>Why probing stopped before it was asked to (null while it works).</summary>
    public string? Failure { get; private set; }

    /// <summary>Commits one batch; false (and <see cref="Failure"/> set) when it was refused or did not commit in time.</summary>
    public async Task<bool> CommitOneAsync(CancellationToken ct = default)
    {
        var node = nodes[_next % nodes.Count];
        var txs = Enumerable.Range(0, BatchSize).Select(_ => Inception(_next++)).ToArray();
        var outcomes = node.Admit(txs);
        var refused = outcomes.Where(o => !o.IsAccepted).ToList();
        if (refused.Count > 0)
        {
            Failure = $"an honest transaction was refused by {node.NodeKey.PublicKey.ToHex()[..8]}: {refused[0].Status} {refused[0].Result}";
            return false;
        }

        var clock = Stopwatch.StartNew();
        while (!txs.All(tx => nodes.All(n => n.Ledger.GetTransaction(tx.Hash) is not null)))
        {
            if (clock.Elapsed > CommitDeadline)
            {
                var missing = nodes.Where(n => txs.Any(tx => n.Ledger.GetTransaction(tx.Hash) is null)).Select(n => n.NodeKey.PublicKey.ToHex()[..8]);
                Failure = $"a batch submitted to {node.NodeKey.PublicKey.ToHex()[..8]} was not committed by [{string.Join(", ", missing)}] within {CommitDeadline.TotalSeconds} s "
                    + $"(heights {string.Join(", ", nodes.Select(n => n.Ledger.Height))}); {Describe()}";
                return false;
            }

            await Task.Delay(10, ct);
        }

        Committed++;
        return true;
    }

    /// <summary>What each honest validator was doing when a batch was late (read from outside the loops: a hint, not a
    /// consistent picture), so that a stall can be told from a slow machine.</summary>
    private string Describe() => string.Join("; ", nodes.Select(n =>
    {
        var s = n.Status.Current;
        return $"{n.NodeKey.PublicKey.ToHex()[..8]}: consensus {s.Consensus.Height}/{s.Consensus.Round}/{s.Consensus.Step}, "
            + $"waiting for transactions {n.Consensus.IsWaitingForTransactions}, ready {n.Consensus.HasReadyTransactions}, "
            + $"announcement queued {n.ConsensusEngine.QueuedAnnouncements}, events queued {n.ConsensusEngine.QueuedEvents}, "
            + $"pool {s.Pool.Transactions} (orphans {s.Pool.Orphans}, admission queue {s.Pool.AdmissionQueue}), peers {s.Peers.Count}, "
            + $"peer heights [{string.Join(", ", s.Consensus.PeerHeights.Select(p => $"{p.Key.ToHex()[..8]}={p.Value}"))}]";
    }));

    /// <summary>Commits batches one after the other until cancelled or one fails.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        try
        {
            while (!ct.IsCancellationRequested && await CommitOneAsync(ct))
            {
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private Transaction Inception(int i)
    {
        var key = Key(i, 0);
        var config = new KeyConfig([key.PublicKey], 1, [Key(i, 1).PublicKey.Digest()], 1);
        return _builder.Inception(config, [key]).Tx;
    }

    private Ed25519Signer Key(int i, int rotation) =>
        Ed25519Signer.FromSeed(Hash32.Sha256(System.Text.Encoding.UTF8.GetBytes($"{name}/{i}/{rotation}")).ToArray());
}
