using Dkms.Core.Blocks;
using Dkms.Core.Crypto;
using Dkms.Core.Primitives;

namespace Dkms.Consensus.Tests;

/// <summary>Issue 16 item 1: <see cref="ConsensusMessage.TryDecode"/> is the one gate for a peer's bytes.</summary>
public sealed class MessageDecodingTests
{
    private static readonly BlockLimits Limits = new(100, 1 << 20);

    private static byte[][] ValidMessages()
    {
        using var key = Ed25519Signer.FromSeed(TestNet.Seed(0));
        var txs = new[] { new byte[] { 1, 2, 3 }, new byte[] { 4, 5 } };
        var header = new BlockHeader(TestNet.ChainId, 7, 1, Hash32.Sha256("p"u8), Block.ComputeTransactionRoot(txs), Hash32.Sha256("s"u8), key.PublicKey, 1000);
        var block = new Block(header, txs);
        var precommit = Vote.Create(key, TestNet.ChainId, VoteType.Precommit, 7, 1, block.Hash);
        return
        [
            ConsensusMessage.Encode(Proposal.Create(key, TestNet.ChainId, 7, 1, 0, block)),
            ConsensusMessage.Encode(precommit),
            ConsensusMessage.EncodeRequest(7),
            ConsensusMessage.Encode(block, CommitCertificate.FromPrecommits(7, 1, block.Hash, [precommit])),
        ];
    }

    [Fact]
    public void Valid_messages_of_every_kind_decode()
    {
        foreach (var bytes in ValidMessages()) Assert.True(ConsensusMessage.TryDecode(bytes, Limits, out _, out var why), why);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Seeded_mutations_of_valid_messages_never_throw_and_never_decode_with_a_field_missing(int seed)
    {
        var random = new Random(seed);
        var valid = ValidMessages();
        var accepted = 0;
        for (var n = 0; n < 20_000; n++)
        {
            var bytes = (byte[])valid[random.Next(valid.Length)].Clone();
            for (var e = random.Next(1, 4); e > 0; e--)
            {
                var at = random.Next(bytes.Length);
                bytes[at] = random.Next(3) switch { 0 => 0xc0, 1 => (byte)random.Next(256), _ => (byte)(bytes[at] + 1) };
            }

            if (random.Next(5) == 0) bytes = bytes[..random.Next(bytes.Length)];
            if (!ConsensusMessage.TryDecode(bytes, Limits, out var m, out var why))
            {
                Assert.False(string.IsNullOrEmpty(why));
                continue;
            }

            accepted++;
            AssertComplete(m!);
        }

        Assert.InRange(accepted, 1, 19_999); // some mutations are harmless (a hash byte), most are not
    }

    private static void AssertComplete(ConsensusMessage m)
    {
        switch (m.Kind)
        {
            case MessageKind.Proposal:
                AssertComplete(m.Proposal!.Block);
                Assert.Equal(64, m.Proposal.Signature.Length);
                break;
            case MessageKind.Vote:
                Assert.Equal(64, m.Vote!.Signature.Length);
                Assert.True(m.Vote.Type is VoteType.Prevote or VoteType.Precommit);
                break;
            case MessageKind.BlockRequest:
                Assert.NotEqual(0UL, m.Height);
                break;
            case MessageKind.BlockResponse:
                AssertComplete(m.Block!);
                Assert.All(m.Certificate!.Signatures, s => Assert.Equal(64, s.Signature.Length));
                break;
            default:
                Assert.Fail($"kind {m.Kind}");
                break;
        }
    }

    private static void AssertComplete(Block block)
    {
        Assert.NotNull(block.Header.ChainId);
        Assert.InRange(block.Transactions.Count, 0, Limits.MaxTransactions);
        Assert.All(block.Transactions, Assert.NotNull);
    }
}
