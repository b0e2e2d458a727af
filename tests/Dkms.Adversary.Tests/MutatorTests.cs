using Dkms.Adversary.Fuzzing;
using Dkms.Consensus;
using Dkms.Core.Blocks;
using Dkms.Core.Crypto;
using Dkms.Core.Encoding;
using Dkms.Core.Primitives;

namespace Dkms.Adversary.Tests;

/// <summary>The fuzzer's own parts: the MessagePack tree and the seeded mutations.</summary>
public sealed class MutatorTests
{
    private const string Chain = "dkms-mutator-test";

    private static readonly Ed25519Signer Key = Ed25519Signer.FromSeed(Hash32.Sha256("mutator-test"u8).ToArray());

    private static IEnumerable<byte[]> Messages()
    {
        var txs = new[] { new byte[] { 1, 2, 3 }, new byte[200] };
        var header = new BlockHeader(Chain, 7, 1, Hash32.Sha256([1]), Block.ComputeTransactionRoot(txs), Hash32.Sha256([2]), Key.PublicKey, 1_700_000_000_000);
        var block = new Block(header, txs);
        var precommit = Vote.Create(Key, Chain, VoteType.Precommit, 7, 1, block.Hash);
        yield return ConsensusMessage.Encode(Proposal.Create(Key, Chain, 7, 1, -1, block));
        yield return ConsensusMessage.Encode(precommit);
        yield return ConsensusMessage.Encode(Vote.Create(Key, Chain, VoteType.Prevote, 7, 0, Hash32.Zero));
        yield return ConsensusMessage.EncodeRequest(6);
        yield return ConsensusMessage.Encode(block, CommitCertificate.FromPrecommits(7, 1, block.Hash, [precommit]));
        yield return Codec.Encode(txs);
    }

    [Fact]
    public void The_tree_reencodes_every_protocol_message_byte_for_byte()
    {
        foreach (var bytes in Messages())
        {
            Assert.True(MpValue.TryParse(bytes, out var tree));
            Assert.Equal(bytes, tree.Encode());
        }
    }

    [Fact]
    public void The_same_seed_gives_the_same_mutations_and_another_seed_others()
    {
        static List<byte[]> Run(int seed)
        {
            var mutator = new Mutator(new Random(seed));
            return [.. Enumerable.Range(0, 50).SelectMany(_ => Messages()).Select(m => mutator.Mutate(m).Bytes)];
        }

        Assert.Equal(Run(16), Run(16));
        Assert.NotEqual(Run(16), Run(17));
    }

    [Fact]
    public void Every_mutation_kind_occurs_and_changes_the_message()
    {
        var mutator = new Mutator(new Random(16));
        var seen = new HashSet<Mutation>();
        var unchanged = 0;
        var total = 0;
        for (var i = 0; i < 400; i++)
        {
            foreach (var m in Messages())
            {
                var (bytes, kind) = mutator.Mutate(m);
                seen.Add(kind);
                total++;
                if (bytes.AsSpan().SequenceEqual(m))
                {
                    unchanged++;
                    Console.WriteLine($"unchanged by {kind}");
                }
            }
        }

        Assert.Equal(Mutator.All.ToHashSet(), seen);
        // A few mutations may land on a no-op (e.g. swapping two equal fields); nearly all must change something.
        Assert.True(unchanged < total / 50, $"{unchanged} of {total} mutations left the message as it was");
    }

    [Fact]
    public void A_mutated_message_stays_under_the_transport_limit()
    {
        var mutator = new Mutator(new Random(16));
        var largest = Enumerable.Range(0, 300).SelectMany(_ => Messages()).Max(m => mutator.Mutate(m).Bytes.Length);

        Assert.InRange(largest, 1, 2 * Mutator.MaxOversizeBytes);
    }
}
