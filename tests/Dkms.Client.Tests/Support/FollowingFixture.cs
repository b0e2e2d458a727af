using Dkms.Node.Testing;

namespace Dkms.Client.Tests.Support;

/// <summary>One testnet with two validator-set changes, shared by every test class of the collection (they run one after
/// the other; the proxy is made honest again after each lie).</summary>
[CollectionDefinition(Name)]
public sealed class FollowingCollection : ICollectionFixture<FollowingFixture>
{
    public const string Name = "validator-set following";
}

/// <summary>Four in-process validators whose set changed twice (a fifth added, then node 3 removed: see
/// <see cref="ValidatorSetChanges.AddThenRemoveAsync"/>), an identity committed before the changes and one after, and a
/// lying proxy in front of node 0.</summary>
public sealed class FollowingFixture : IAsyncLifetime
{
    public InProcessTestnet Net { get; private set; } = null!;

    public DkmsRpcClient Honest { get; private set; } = null!;

    public LyingProxy Proxy { get; private set; } = null!;

    public DkmsRpcClient ThroughProxy { get; private set; } = null!;

    public ValidatorSetChanges.TwoChanges Changes { get; private set; } = null!;

    /// <summary>An identity committed before the first change, and the height it committed at (the genesis set certified it).</summary>
    public Owner Early { get; private set; } = null!;

    public ulong EarlyHeight { get; private set; }

    /// <summary>An identity committed after the second change took effect.</summary>
    public Owner Late { get; private set; } = null!;

    public TrustedChain Genesis => TrustedChain.FromGenesis(Net.Genesis);

    public async Task InitializeAsync()
    {
        Net = await InProcessTestnet.StartAsync(4);
        Honest = new DkmsRpcClient(Net.RpcEndpoints[0]);
        var builder = new TransactionBuilder(InProcessTestnet.ChainId);
        Early = new Owner("following/early", Honest, builder);
        EarlyHeight = await Early.InceptAsync();
        Changes = await ValidatorSetChanges.AddThenRemoveAsync(Net);
        Late = new Owner("following/late", Honest, builder);
        await Late.InceptAsync();
        Proxy = await LyingProxy.StartAsync(Net.RpcEndpoints[0]);
        ThroughProxy = new DkmsRpcClient(Proxy.Endpoint);
    }

    public async Task DisposeAsync()
    {
        ThroughProxy.Dispose();
        await Proxy.DisposeAsync();
        Honest.Dispose();
        await Net.DisposeAsync();
    }
}
