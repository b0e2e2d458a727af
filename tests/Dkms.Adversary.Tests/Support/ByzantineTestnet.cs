using Dkms.Core.Genesis;
using Dkms.Node;
using Dkms.Node.Testing;

namespace Dkms.Adversary.Tests.Support;

/// <summary>
/// Four validators over the real LiteNetLib transport on loopback, of which three are honest in-process nodes and
/// the fourth seat (validator 3) is the adversary: that node is never started, the adversary holds its key and
/// listens on its genesis address. Three of four is exactly a quorum, so the chain commits only while all three
/// honest validators work.
/// </summary>
public sealed class ByzantineTestnet : IAsyncDisposable
{
    public const int Honest = 3;
    public const int Seat = 3;

    private ByzantineTestnet(InProcessTestnet net, AdversaryPeer adversary)
    {
        Net = net;
        Adversary = adversary;
    }

    public InProcessTestnet Net { get; }

    public AdversaryPeer Adversary { get; }

    public Forge Forge => Forge.ForGenesis(Net.Genesis, Net.SignerOf(Seat));

    public IEnumerable<ValidatorNode> HonestNodes => Enumerable.Range(0, Honest).Select(Net.Node);

    /// <param name="consensus">Genesis consensus parameters (null: the in-process testnet's).</param>
    /// <param name="settings">Per-node settings of the honest validators, e.g. a local override.</param>
    public static async Task<ByzantineTestnet> StartAsync(ConsensusParameters? consensus = null, Func<int, NodeSettings, NodeSettings>? settings = null)
    {
        var net = await InProcessTestnet.StartAsync(Honest + 1, transport: TestnetTransport.LiteNetLib, consensus: consensus, running: Honest, settings: settings);
        AdversaryPeer? adversary = null;
        try
        {
            adversary = AdversaryPeer.ForGenesis(net.Genesis, net.SignerOf(Seat), net.Genesis.Validators[Seat].Address);
            adversary.Start();
            var testnet = new ByzantineTestnet(net, adversary);
            if (!await adversary.WaitConnectedAsync(Honest, TimeSpan.FromSeconds(60)))
            {
                throw new InvalidOperationException($"the adversary has sessions with {adversary.Connected.Count} of {Honest} validators after 60 s");
            }

            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            while (testnet.HonestNodes.Any(n => n.Peers.Count < Honest))
            {
                if (DateTime.UtcNow > deadline) throw new InvalidOperationException("the honest validators did not all connect within 60 s");
                await Task.Delay(20);
            }

            return testnet;
        }
        catch
        {
            adversary?.Dispose();
            await net.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        Adversary.Dispose();
        await Net.DisposeAsync();
    }
}
