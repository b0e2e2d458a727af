using Dkms.Node.Testing;

namespace Dkms.Client.Tests.Support;

/// <summary>Four in-process validators, a client of node 0 for the honest side of a story, and a lying proxy in front
/// of node 0 for the verifier's side. Tests of a class share it; each test uses its own identities and sets its own lies.</summary>
public sealed class LyingNodeFixture : IAsyncLifetime
{
    public InProcessTestnet Net { get; private set; } = null!;

    public DkmsRpcClient Honest { get; private set; } = null!;

    public LyingProxy Proxy { get; private set; } = null!;

    /// <summary>A client that talks to the node through the proxy.</summary>
    public DkmsRpcClient ThroughProxy { get; private set; } = null!;

    public TrustedChain Chain => TrustedChain.FromGenesis(Net.Genesis);

    public TransactionBuilder Builder { get; } = new(InProcessTestnet.ChainId);

    public Owner Owner(string name) => new($"{nameof(LyingNodeFixture)}/{name}", Honest, Builder);

    public async Task InitializeAsync()
    {
        Net = await InProcessTestnet.StartAsync(4);
        Honest = new DkmsRpcClient(Net.RpcEndpoints[0]);
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

/// <summary>The test classes that share one <see cref="LyingNodeFixture"/> (and so run one after another).</summary>
[CollectionDefinition(Name)]
public sealed class LyingNodeCollection : ICollectionFixture<LyingNodeFixture>
{
    public const string Name = "lying node";
}
