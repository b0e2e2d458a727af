using System.Diagnostics;
using Dkms.Core.Blocks;
using Dkms.Core.Crypto;
using Dkms.Core.Encoding;
using Dkms.Core.Primitives;

namespace Dkms.Consensus.Bench;

/// <summary>`parts`: single-thread stopwatch timings of the pieces one height is made of (1,000 100-byte transactions),
/// to explain the per-height totals. Medians of 9 runs of 50 repetitions each.</summary>
public static class PartsRun
{
    public static void Run()
    {
        var signer = Ed25519Signer.FromSeed(new byte[32]);
        var txs = Enumerable.Range(0, 1000).Select(i =>
        {
            var t = new byte[Cluster.TransactionSize];
            BitConverter.TryWriteBytes(t, i);
            return t;
        }).ToArray();
        var root = Block.ComputeTransactionRoot(txs);
        var block = new Block(new BlockHeader("bench", 7, 0, Hash32.Sha256("p"u8), root, Hash32.Sha256("s"u8), signer.PublicKey, 1), txs);
        var proposal = Proposal.Create(signer, "bench", 7, 0, -1, block);
        var proposalBytes = ConsensusMessage.Encode(proposal);
        var vote = Vote.Create(signer, "bench", VoteType.Prevote, 7, 0, block.Hash);
        var voteBytes = ConsensusMessage.Encode(vote);
        var state = new PersistedState(7, 0, Step.Precommit, 0, block, 0, null, [vote], []);
        var stateWithProposal = new PersistedState(7, 0, Step.Precommit, 0, block, 0, null, [vote], [proposal]);

        Time("transaction root of 1,000 txs (SHA-256 each + Merkle)", () => Block.ComputeTransactionRoot(txs));
        Time("block header hash", () => new Block(block.Header, txs).Hash);
        Time("encode proposal message (100 KB block)", () => ConsensusMessage.Encode(proposal));
        Time("decode proposal message", () => Codec.TryDecode<ConsensusMessage>(proposalBytes, out _, out _));
        Time("encode persisted state with the locked block", () => Codec.Encode(state));
        Time("encode persisted state with locked block + signed proposal", () => Codec.Encode(stateWithProposal));
        Time("sign a vote", () => Vote.Create(signer, "bench", VoteType.Prevote, 7, 0, block.Hash));
        Time("verify a vote", () => vote.VerifySignature("bench"));
        Time("encode a vote message", () => ConsensusMessage.Encode(vote));
        Time("decode a vote message", () => Codec.TryDecode<ConsensusMessage>(voteBytes, out _, out _));
        Time("verify a proposal signature", () => proposal.VerifySignature("bench"));
    }

    private static void Time(string what, Func<object> f)
    {
        const int reps = 50;
        for (var i = 0; i < reps; i++) f();
        var runs = new double[9];
        for (var r = 0; r < runs.Length; r++)
        {
            var sw = Stopwatch.StartNew();
            for (var i = 0; i < reps; i++) f();
            runs[r] = sw.Elapsed.TotalMicroseconds / reps;
        }

        Array.Sort(runs);
        Console.WriteLine($"| {what} | {runs[runs.Length / 2]:F1} |");
    }
}
