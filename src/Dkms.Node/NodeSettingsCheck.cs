namespace Dkms.Node;

/// <summary>
/// The range check of a node's numeric settings, run once before anything starts: a value out of range stops the node
/// with an error that names the setting as it is written in the config file (<c>Mempool:MaxTransactions</c>), instead of
/// a node that starts and then refuses everything, divides by zero or waits forever. Bounds are the ones the code needs
/// to work, not advice; docs/node.md lists the defaults.
/// </summary>
public static class NodeSettingsCheck
{
    public static void Validate(NodeSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        AtLeast("MaxRequestBytes", settings.MaxRequestBytes, 1);
        AtLeast("MaxCommitWaitMs", settings.MaxCommitWaitMs, 1);

        var m = settings.Mempool;
        AtLeast("Mempool:MaxTransactions", m.MaxTransactions, 1);
        AtLeast("Mempool:MaxBytes", m.MaxBytes, 1);
        AtLeast("Mempool:RejectedHistory", m.RejectedHistory, 0);
        AtLeast("Mempool:WaitingTimeoutMs", m.WaitingTimeoutMs, 1);
        AtLeast("Mempool:MaxSequenceAhead", m.MaxSequenceAhead, 0);
        AtLeast("Mempool:MaxOrphansPerIdentity", m.MaxOrphansPerIdentity, 0);
        Between("Mempool:OrphanSharePercent", m.OrphanSharePercent, 0, 100);
        AtLeast("Mempool:AdmissionQueueTransactions", m.AdmissionQueueTransactions, 1);
        AtLeast("Mempool:DurableRejections", m.DurableRejections, 0);
        AtLeast("Mempool:GossipBatchTransactions", m.GossipBatchTransactions, 1);

        // Overrides of the genesis parameters: the same bounds the genesis check applies (ConsensusParameters.Validate),
        // except MaxBlockTransactions, where 0 is a node that proposes empty blocks only.
        var c = settings.Consensus;
        if (c.TimeoutProposeMs is { } propose) AtLeast("Consensus:TimeoutProposeMs", propose, 1);
        if (c.TimeoutPrevoteMs is { } prevote) AtLeast("Consensus:TimeoutPrevoteMs", prevote, 1);
        if (c.TimeoutPrecommitMs is { } precommit) AtLeast("Consensus:TimeoutPrecommitMs", precommit, 1);
        if (c.BatchDelayMs is { } batch) AtLeast("Consensus:BatchDelayMs", batch, 0);
        if (c.MaxBlockTransactions is { } count) AtLeast("Consensus:MaxBlockTransactions", count, 0);
        if (c.ProposeTransferPercent is { } share) Between("Consensus:ProposeTransferPercent", share, 0, 100);
        AtLeast("P2P:MaxObservers", settings.P2P.MaxObservers, 0);
        foreach (var key in settings.P2P.ObserverKeys) _ = Networking.ObserverPeers.ParseKey("P2P:ObserverKeys", key);
        if (settings.Observer.Enabled)
        {
            if (settings.Observer.Peers.Length == 0 && !settings.Observer.FollowValidators)
            {
                throw new NodeConfigurationException("setting Observer:Peers is empty and Observer:FollowValidators is false; an observer needs at least one peer (nodekeyhex@host:port)");
            }

            _ = Networking.ObserverPeers.Parse(settings.Observer.Peers);
            if (settings.P2PListen.Length == 0) throw new NodeConfigurationException("setting P2PListen is empty; an observer has no genesis address to take its port from");
        }
    }

    private static void AtLeast(string name, long value, long min)
    {
        if (value < min) throw new NodeConfigurationException($"setting {name} is {value}; it must be at least {min}");
    }

    private static void Between(string name, long value, long min, long max)
    {
        if (value < min || value > max) throw new NodeConfigurationException($"setting {name} is {value}; it must be between {min} and {max}");
    }
}
