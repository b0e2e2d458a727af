using Dkms.Core.Blocks;
using Dkms.Core.Crypto;
using Dkms.Core.Primitives;

namespace Dkms.Consensus.Tests;

public sealed class ByzantineTests
{
    /// <summary>Validator 3's key in the hands of an adversary: it equivocates as proposer, double votes, votes for
    /// blocks nobody has, sends garbage and replays old messages — every millisecond or so.</summary>
    private sealed class Adversary
    {
        private readonly TestNet _net;
        private readonly Random _random;
        private readonly List<byte[]> _recorded = new();
        private readonly ITransport _transport;
        private readonly Ed25519Signer _key;

        public Adversary(TestNet net, int seed)
        {
            _net = net;
            _random = new Random(seed);
            _key = net.Signers[3];
            _transport = net.Network.Join(_key.PublicKey, (_, bytes) => { if (_recorded.Count < 5000) _recorded.Add(bytes); });
        }

        private PublicKey Peer(int i) => _net.Signers[i].PublicKey;

        public void Act()
        {
            var m = _net.Drivers[0]!.Machine;
            var (h, r) = (m.Height, m.Round);
            switch (_random.Next(6))
            {
                case 0: // double vote: block-ish hash to one peer, nil to another
                    foreach (var type in new[] { VoteType.Prevote, VoteType.Precommit })
                    {
                        _transport.Send(Peer(0), ConsensusMessage.Encode(Vote.Create(_key, TestNet.ChainId, type, h, r, RandomHash())));
                        _transport.Send(Peer(1), ConsensusMessage.Encode(Vote.Create(_key, TestNet.ChainId, type, h, r, Hash32.Zero)));
                    }

                    break;
                case 1: // garbage
                    var junk = new byte[_random.Next(1, 200)];
                    _random.NextBytes(junk);
                    _transport.Broadcast(junk);
                    break;
                case 2 when _recorded.Count > 0: // replay
                    _transport.Send(Peer(_random.Next(3)), _recorded[_random.Next(_recorded.Count)]);
                    break;
                case 3: // votes for a future round and an unknown block
                    _transport.Broadcast(ConsensusMessage.Encode(Vote.Create(_key, TestNet.ChainId, VoteType.Precommit, h, r + 1, RandomHash())));
                    break;
                default: // equivocating proposer: two valid blocks, one per half of the network
                    if (_net.Genesis.Proposer(h, r) != _key.PublicKey) break;
                    var a = Block(h, r, 1);
                    var b = Block(h, r, 2);
                    if (a is null || b is null) break;
                    _transport.Send(Peer(0), ConsensusMessage.Encode(Proposal.Create(_key, TestNet.ChainId, h, r, -1, a)));
                    _transport.Send(Peer(1), ConsensusMessage.Encode(Proposal.Create(_key, TestNet.ChainId, h, r, -1, a)));
                    _transport.Send(Peer(2), ConsensusMessage.Encode(Proposal.Create(_key, TestNet.ChainId, h, r, -1, b)));
                    break;
            }
        }

        private Block? Block(ulong h, int r, int salt)
        {
            var app = _net.Apps[0];
            if (app.Tip.Height + 1 != h) return null;
            var ts = _net.Time.GetUtcNow().ToUnixTimeMilliseconds() + salt;
            var txs = app.SelectTransactions(h, ts, 10, 1 << 20);
            var root = app.Execute(h, ts, txs).StateRoot;
            return new Block(new BlockHeader(TestNet.ChainId, h, r, app.Tip.BlockHash, Dkms.Core.Blocks.Block.ComputeTransactionRoot(txs), root, _key.PublicKey, ts), txs);
        }

        private Hash32 RandomHash()
        {
            var b = new byte[32];
            _random.NextBytes(b);
            return new Hash32(b);
        }
    }

    [Theory]
    [InlineData(61)]
    [InlineData(62)]
    [InlineData(63)]
    public void A_byzantine_validator_cannot_fork_or_stop_the_chain_and_leaves_evidence(int seed)
    {
        using var net = new TestNet(4, seed);
        net.Crash(3); // its honest engine is gone; the adversary speaks with its key
        var adversary = new Adversary(net, seed);
        var honest = new[] { 0, 1, 2 };
        for (var t = 0; t < 60_000 && net.MinHeight(honest) < 40; t++)
        {
            if (t % 10 == 0) net.Submit(3);
            adversary.Act();
            net.Time.Advance(TimeSpan.FromMilliseconds(1));
        }

        Assert.True(net.MinHeight(honest) >= 40, $"stuck at {net.MinHeight(honest)}");
        net.AssertNoFork(honest);
        net.AssertNoDoubleSigning(honest);
        var evidence = net.Drivers[0]!.Machine.Evidence;
        Assert.NotEmpty(evidence);
        Assert.All(evidence, e => Assert.Equal(net.Signers[3].PublicKey, e.First.Validator));
        Assert.All(evidence, e => Assert.NotEqual(e.First.BlockHash, e.Second.BlockHash));
        Assert.True(net.Drivers[0]!.Intake.Total(DropReason.Malformed) > 0);
    }
}
