using Dkms.Consensus;
using Dkms.Core.Blocks;
using Dkms.Core.Crypto;
using Dkms.Core.Genesis;
using Dkms.Core.Primitives;
using Dkms.Node.Networking;

namespace Dkms.Node.Tests.Networking;

public sealed class PeerLinksTests
{
    /// <summary>
    /// A block at the genesis limits must fit the transport: a node that could not send it would stop every round once
    /// anyone filled the mempool (with the transport's default of 8 MiB a full block did not fit).
    /// </summary>
    [Theory]
    [InlineData(5_000, 8 * 1024 * 1024, 5_000)] // the default genesis, as many transactions as allowed
    [InlineData(5_000, 8 * 1024 * 1024, 512)] // the default genesis, 16 KiB transactions
    [InlineData(200, 1024 * 1024, 200)]
    public void A_proposal_and_a_catch_up_answer_of_a_block_at_the_genesis_limits_fit_the_peer_message_limit(int maxTransactions, int maxBytes, int count)
    {
        var genesis = new GenesisDocument
        {
            ChainId = "limits",
            Validators = [],
            Consensus = new ConsensusParameters { MaxBlockTransactions = maxTransactions, MaxBlockBytes = maxBytes },
        };
        var key = Ed25519Signer.FromSeed(new byte[32]);
        var txs = Enumerable.Range(0, count).Select(i => new byte[maxBytes / count]).ToList();
        var header = new BlockHeader(genesis.ChainId, 7, 3, Hash32.Sha256("p"u8), Block.ComputeTransactionRoot(txs), Hash32.Sha256("s"u8),
            key.PublicKey, 1_000);
        var block = new Block(header, txs);
        var certificate = new CommitCertificate(7, 3, block.Hash,
            [.. Enumerable.Range(0, BlockLimits.MaxCertificateSignatures).Select(_ => new CommitSignature(key.PublicKey, new byte[64]))]);

        var limit = PeerLinks.MaxMessageBytesFor(genesis);
        var proposal = ConsensusMessage.Encode(Proposal.Create(key, genesis.ChainId, 7, 3, 2, block));
        var answer = ConsensusMessage.Encode(block, certificate);

        Assert.InRange(proposal.Length, maxBytes, limit);
        Assert.InRange(answer.Length, maxBytes, limit);
        Assert.True(ConsensusMessage.TryDecode(proposal, new BlockLimits(maxTransactions, maxBytes), out _, out var why), why);
    }
}
