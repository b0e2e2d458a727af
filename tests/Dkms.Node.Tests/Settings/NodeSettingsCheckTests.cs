using Dkms.Consensus;
using Dkms.Core.Crypto;
using Dkms.Core.Genesis;
using Dkms.Core.Primitives;
using Dkms.Node.Mempool;
using Dkms.Node.Networking;
using Dkms.Storage;

namespace Dkms.Node.Tests.Settings;

/// <summary>Issue 18 item 6: a setting out of range stops the node at start-up with an error that names it, instead of a
/// node that starts and then misbehaves (a zero-sized pool refuses every submission; a zero commit wait answers every
/// commit-mode submission with a timeout).</summary>
public sealed class NodeSettingsCheckTests
{
    private const string ChainId = "dkms-settings-tests";

    public static TheoryData<string, Func<NodeSettings, NodeSettings>> OutOfRange => new()
    {
        { "MaxRequestBytes", s => s with { MaxRequestBytes = 0 } },
        { "MaxCommitWaitMs", s => s with { MaxCommitWaitMs = -1 } },
        { "Mempool:MaxTransactions", s => s with { Mempool = s.Mempool with { MaxTransactions = 0 } } },
        { "Mempool:MaxBytes", s => s with { Mempool = s.Mempool with { MaxBytes = 0 } } },
        { "Mempool:RejectedHistory", s => s with { Mempool = s.Mempool with { RejectedHistory = -1 } } },
        { "Mempool:WaitingTimeoutMs", s => s with { Mempool = s.Mempool with { WaitingTimeoutMs = 0 } } },
        { "Mempool:MaxSequenceAhead", s => s with { Mempool = s.Mempool with { MaxSequenceAhead = -1 } } },
        { "Mempool:MaxOrphansPerIdentity", s => s with { Mempool = s.Mempool with { MaxOrphansPerIdentity = -1 } } },
        { "Mempool:OrphanSharePercent", s => s with { Mempool = s.Mempool with { OrphanSharePercent = 101 } } },
        { "Mempool:OrphanSharePercent", s => s with { Mempool = s.Mempool with { OrphanSharePercent = -1 } } },
        { "Mempool:AdmissionQueueTransactions", s => s with { Mempool = s.Mempool with { AdmissionQueueTransactions = 0 } } },
        { "Mempool:DurableRejections", s => s with { Mempool = s.Mempool with { DurableRejections = -1 } } },
        { "Mempool:GossipBatchTransactions", s => s with { Mempool = s.Mempool with { GossipBatchTransactions = 0 } } },
        { "Consensus:TimeoutProposeMs", s => s with { Consensus = s.Consensus with { TimeoutProposeMs = 0 } } },
        { "Consensus:TimeoutPrevoteMs", s => s with { Consensus = s.Consensus with { TimeoutPrevoteMs = -5 } } },
        { "Consensus:TimeoutPrecommitMs", s => s with { Consensus = s.Consensus with { TimeoutPrecommitMs = 0 } } },
        { "Consensus:BatchDelayMs", s => s with { Consensus = s.Consensus with { BatchDelayMs = -1 } } },
        { "Consensus:MaxBlockTransactions", s => s with { Consensus = s.Consensus with { MaxBlockTransactions = -1 } } },
        { "Consensus:ProposeTransferPercent", s => s with { Consensus = s.Consensus with { ProposeTransferPercent = 101 } } },
    };

    [Theory]
    [MemberData(nameof(OutOfRange))]
    public void A_setting_out_of_range_stops_the_start_with_an_error_naming_it(string setting, Func<NodeSettings, NodeSettings> change)
    {
        var key = Ed25519Signer.FromSeed(Hash32.Sha256("settings-tests-validator"u8).ToArray());
        var genesis = new GenesisDocument
        {
            ChainId = ChainId,
            Validators = [new GenesisValidator { Name = "v0", NodeKey = key.PublicKey.ToHex(), Address = "127.0.0.1:26800", Power = 1 }],
        };
        var settings = change(new NodeSettings { Storage = "memory", RpcListen = "127.0.0.1:0" });
        using var store = new MemoryStore();

        var e = Assert.Throws<NodeConfigurationException>(() =>
            NodeHost.Create(settings, genesis, key, new InMemoryPeerHub().Join(key.PublicKey), _ => { }, store: store));

        Assert.Contains($"setting {setting} is ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_defaults_and_the_edges_of_each_range_pass()
    {
        NodeSettingsCheck.Validate(new NodeSettings());
        NodeSettingsCheck.Validate(new NodeSettings
        {
            MaxRequestBytes = 1,
            MaxCommitWaitMs = 1,
            Mempool = new MempoolOptions
            {
                MaxTransactions = 1,
                MaxBytes = 1,
                RejectedHistory = 0,
                WaitingTimeoutMs = 1,
                MaxSequenceAhead = 0,
                MaxOrphansPerIdentity = 0,
                OrphanSharePercent = 100,
                AdmissionQueueTransactions = 1,
                DurableRejections = 0,
                GossipBatchTransactions = 1,
            },
            // MaxBlockTransactions 0: a node that proposes only empty blocks (tests use it to hold transactions back).
            Consensus = new ConsensusOverrides { TimeoutProposeMs = 1, TimeoutPrevoteMs = 1, TimeoutPrecommitMs = 1, BatchDelayMs = 0, MaxBlockTransactions = 0 },
        });
    }

    /// <summary>The node runs the genesis parameters (their defaults live in <see cref="ConsensusParameters"/> only) when no
    /// override is set: the same options the consensus simulations build.</summary>
    [Fact]
    public void Without_overrides_the_node_runs_exactly_the_genesis_consensus_parameters()
    {
        var genesis = new GenesisDocument { ChainId = ChainId, Validators = [] };

        var options = ValidatorNode.ConsensusOptionsFor(genesis, new NodeSettings());

        // RebroadcastProposal is not a chain parameter: the node's sessions are reliable, so it sends a proposal once per
        // round (docs/consensus.md); the simulations' lossy network keeps the re-send.
        Assert.Equal(ConsensusOptions.FromGenesis(ChainId, new ConsensusParameters()) with { RebroadcastProposal = false }, options);
        var defaults = new ConsensusParameters();
        Assert.Equal(TimeSpan.FromMilliseconds(defaults.TimeoutProposeMs), options.TimeoutPropose);
        Assert.Equal(defaults.MaxBlockTransactions, options.Limits.MaxTransactions);
        Assert.Equal(TimeSpan.FromMilliseconds(defaults.IdleBlockIntervalMs), options.IdleBlockInterval);
    }

    [Fact]
    public void The_transfer_pace_share_is_a_local_setting_in_percent_and_0_turns_it_off()
    {
        var genesis = new GenesisDocument { ChainId = ChainId, Validators = [] };

        Assert.Equal(0.5, ValidatorNode.ConsensusOptionsFor(genesis, new NodeSettings()).ProposeTransferShare);
        Assert.Equal(0.0, ValidatorNode.ConsensusOptionsFor(genesis, new NodeSettings { Consensus = new ConsensusOverrides { ProposeTransferPercent = 0 } }).ProposeTransferShare);
        Assert.Equal(0.25, ValidatorNode.ConsensusOptionsFor(genesis, new NodeSettings { Consensus = new ConsensusOverrides { ProposeTransferPercent = 25 } }).ProposeTransferShare);
    }

    [Fact]
    public void An_observer_without_peers_follows_the_validators_and_one_that_follows_only_its_peers_needs_one()
    {
        var observer = new NodeSettings { P2PListen = "127.0.0.1:0", Observer = new ObserverSettings { Enabled = true } };
        NodeSettingsCheck.Validate(observer);

        var e = Assert.Throws<NodeConfigurationException>(() => NodeSettingsCheck.Validate(observer with { Observer = observer.Observer with { FollowValidators = false } }));
        Assert.Contains("Observer:Peers is empty", e.Message, StringComparison.Ordinal);
    }
}
