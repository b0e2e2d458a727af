using Dkms.Core.Crypto;
using Dkms.Core.Genesis;
using Dkms.Core.Primitives;
using Dkms.Node;
using Dkms.Node.Networking;
using Microsoft.Extensions.Logging;

namespace Dkms.Cli.Tests.Support;

/// <summary>
/// A one-validator chain in-process under a chain id of the test's choosing: the "other chain" a CLI set up against
/// the shared testnet must refuse to talk to. RPC on a port the kernel picks, data in its own temp directory.
/// </summary>
public sealed class OtherChain : IAsyncDisposable
{
    private readonly NodeHost _host;
    private readonly TempDir _dir;

    private OtherChain(NodeHost host, TempDir dir, GenesisDocument genesis, string genesisPath)
    {
        _host = host;
        _dir = dir;
        Genesis = genesis;
        GenesisPath = genesisPath;
    }

    public GenesisDocument Genesis { get; }

    public string GenesisPath { get; }

    public Uri RpcEndpoint => _host.RpcEndpoint;

    public static async Task<OtherChain> StartAsync(string chainId)
    {
        var dir = new TempDir();
        // A fixed seed per chain id: the same test gets the same validator every run.
        var key = Ed25519Signer.FromSeed(Hash32.Sha256(System.Text.Encoding.UTF8.GetBytes("other-chain/" + chainId)).ToArray());
        var genesis = new GenesisDocument
        {
            ChainId = chainId,
            GenesisTime = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero),
            Validators = [new GenesisValidator { Name = "node0", NodeKey = key.PublicKey.ToHex(), Address = "127.0.0.1:26600", Power = 1 }],
            Consensus = new ConsensusParameters { TimeoutProposeMs = 500, TimeoutPrevoteMs = 250, TimeoutPrecommitMs = 250, BatchDelayMs = 5 },
        };
        var genesisPath = dir.File("genesis.json");
        File.WriteAllText(genesisPath, genesis.ToJson());
        var settings = new NodeSettings { DataDir = dir.File("node0"), GenesisFile = genesisPath, RpcListen = "127.0.0.1:0", P2PListen = "127.0.0.1:26600" };
        var host = NodeHost.Create(settings, genesis, key, new InMemoryPeerHub().Join(key.PublicKey), l => l.SetMinimumLevel(LogLevel.Warning));
        await host.StartAsync();
        return new OtherChain(host, dir, genesis, genesisPath);
    }

    public async ValueTask DisposeAsync()
    {
        await _host.DisposeAsync();
        _dir.Dispose();
    }
}
