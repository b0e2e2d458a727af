using Dkms.Core.Blocks;
using Dkms.Core.Crypto;
using Dkms.Core.Primitives;

namespace Dkms.Consensus.Tests;

/// <summary>
/// Issue 16: the in-memory simulation's Byzantine actor. Validator 3's key in an adversary's hands floods the others
/// over the simulated network with far-future, oversized, duplicated, forged, relayed and malformed traffic, seeded.
/// The honest three must keep deciding, agree, and hold a bounded amount of it.
/// </summary>
public sealed class FloodingValidatorTests
{
    private static readonly BlockLimits Limits = new(200, 64 * 1024);

    private sealed class Flooder
    {
        private readonly TestNet _net;
        private readonly Random _random;
        private readonly Ed25519Signer _key;
        private readonly ITransport _transport;
        private readonly List<byte[]> _heard = new();
        private byte[]? _duplicate;

        public Flooder(TestNet net, int seed)
        {
            _net = net;
            _random = new Random(seed);
            _key = net.Signers[3];
            _transport = net.Network.Join(_key.PublicKey, (_, bytes) => { if (_heard.Count < 2000) _heard.Add(bytes); });
        }

        public long Sent { get; private set; }

        private ulong Height => _net.Drivers[0]!.Machine.Height;

        public void Act()
        {
            var to = _net.Signers[_random.Next(3)].PublicKey;
            var h = Height;
            byte[] bytes = _random.Next(9) switch
            {
                0 => Vote(h + (ulong)_random.Next(1, 1_000_000), _random.Next()), // far future
                1 => Vote(h + (ulong)_random.Next(1, IntakeBounds.FutureHeights + 1), _random.Next(0, 200)), // fills its share
                2 => Proposal(h + 1, _random.Next(0, 3), Limits.MaxTransactions, (int)(Limits.MaxBytes / Limits.MaxTransactions) - 8), // large, in bounds
                3 => Proposal(h, 0, Limits.MaxTransactions + 1, 4), // over the chain's limits
                4 => _duplicate ??= Vote(h, 0),                          // one vote, again and again
                5 => Forged(h + 1),                                      // bad signature
                6 when _heard.Count > 0 => _heard[_random.Next(_heard.Count)], // others' messages relayed
                7 when _heard.Count > 0 => Mutate(_heard[_random.Next(_heard.Count)]),
                _ => Junk(),
            };
            Sent++;
            _transport.Send(to, bytes);
        }

        private byte[] Vote(ulong height, int round) =>
            ConsensusMessage.Encode(Dkms.Core.Blocks.Vote.Create(_key, TestNet.ChainId, _random.Next(2) == 0 ? VoteType.Prevote : VoteType.Precommit,
                height, round, RandomHash()));

        private byte[] Forged(ulong height)
        {
            var sig = new byte[64];
            _random.NextBytes(sig);
            return ConsensusMessage.Encode(new Vote(VoteType.Prevote, height, _random.Next(50), RandomHash(), _key.PublicKey, sig));
        }

        private byte[] Proposal(ulong height, int round, int count, int size)
        {
            var txs = Enumerable.Range(0, count).Select(_ =>
            {
                var tx = new byte[size];
                _random.NextBytes(tx);
                return tx;
            }).ToArray();
            var header = new BlockHeader(TestNet.ChainId, height, round, RandomHash(), Block.ComputeTransactionRoot(txs), RandomHash(), _key.PublicKey,
                _net.Time.GetUtcNow().ToUnixTimeMilliseconds());
            return ConsensusMessage.Encode(Dkms.Consensus.Proposal.Create(_key, TestNet.ChainId, height, round, -1, new Block(header, txs)));
        }

        /// <summary>A recorded message with a few bytes changed: a nil in place of a value, a length or type byte
        /// altered, or cut short.</summary>
        private byte[] Mutate(byte[] original)
        {
            var bytes = (byte[])original.Clone();
            var edits = _random.Next(1, 4);
            for (var i = 0; i < edits; i++)
            {
                var at = _random.Next(bytes.Length);
                bytes[at] = _random.Next(3) switch
                {
                    0 => 0xc0, // nil
                    1 => (byte)_random.Next(256),
                    _ => (byte)(bytes[at] ^ 1),
                };
            }

            return _random.Next(4) == 0 ? bytes[..Math.Max(1, _random.Next(bytes.Length))] : bytes;
        }

        private byte[] Junk()
        {
            var junk = new byte[_random.Next(1, 300)];
            _random.NextBytes(junk);
            return junk;
        }

        private Hash32 RandomHash()
        {
            var b = new byte[32];
            _random.NextBytes(b);
            return new Hash32(b);
        }
    }

    [Theory]
    [InlineData(161)]
    [InlineData(162)]
    [InlineData(163)]
    public void A_validator_flooding_far_future_oversized_duplicated_and_malformed_traffic_cannot_stop_or_fill_the_others(int seed)
    {
        using var net = new TestNet(4, seed, o => o with { Limits = Limits, MaxBlockTransactions = 50 });
        net.Crash(3);
        var flooder = new Flooder(net, seed);
        var honest = new[] { 0, 1, 2 };
        var byzantine = net.Signers[3].PublicKey;
        var maxShare = 0;
        long maxBufferedBytes = 0;
        for (var t = 0; t < 60_000 && net.MinHeight(honest) < 25; t++)
        {
            if (t % 10 == 0) net.Submit(3);
            for (var k = 0; k < 4; k++) flooder.Act();
            net.Time.Advance(TimeSpan.FromMilliseconds(1));
            foreach (var i in honest)
            {
                maxShare = Math.Max(maxShare, net.Drivers[i]!.Machine.BufferedMessagesOf(byzantine));
                maxBufferedBytes = Math.Max(maxBufferedBytes, net.Drivers[i]!.Machine.BufferedTransactionBytes);
            }
        }

        Assert.True(net.MinHeight(honest) >= 25, $"stuck: {net.Describe()}");
        net.AssertNoFork(honest);
        net.AssertNoDoubleSigning(honest);
        Assert.InRange(maxShare, 1, IntakeBounds.FutureVotesPerPeer + IntakeBounds.FutureProposalsPerPeer);
        Assert.InRange(maxBufferedBytes, 1, honest.Length * IntakeBounds.FutureProposalsPerPeer * Limits.MaxBytes);
        foreach (var reason in new[] { DropReason.Malformed, DropReason.OutOfWindow, DropReason.BufferFull, DropReason.Duplicate, DropReason.BadSignature, DropReason.NotOwnMessage })
        {
            Assert.True(honest.Sum(i => net.Drivers[i]!.Intake[byzantine, reason]) > 0, $"no {reason} drop counted");
        }

        // Work: far less than one signature check per message sent (most are refused before it).
        var checks = honest.Sum(i => net.Drivers[i]!.Intake.SignatureChecks);
        Assert.True(checks < flooder.Sent / 4, $"{checks} signature checks for {flooder.Sent} flooded messages");
        Assert.All(honest, i => Assert.Equal(0L, net.Drivers[i]!.ContainedFaults));
    }
}
