using System.Globalization;
using System.Net.Sockets;
using System.Text.Json;
using Dkms.Client;
using Dkms.Node.Tests.Process;

namespace Dkms.Cli.Tests.Installed;

/// <summary>
/// The installed commands as a user meets them: install.sh puts <c>dkms</c> and <c>dkms-node</c> into a prefix, both
/// answer --help, <c>dkms-node testnet</c> makes two one-validator chains of different ids on free ports, and <c>dkms</c>,
/// set up once against chain A by a relative genesis path, registers an identity, verifies it from another directory,
/// and refuses chain B's node with exit code 8.
/// </summary>
[Trait("Category", "Installed")]
public sealed class InstalledStoryTests
{
    [Fact]
    public async Task Installed_dkms_registers_and_verifies_against_an_installed_node_and_refuses_another_chain()
    {
        using var installed = new InstalledCommands();
        Assert.True(File.Exists(installed.Dkms) && File.Exists(installed.DkmsNode), installed.InstallOutput);
        Assert.Contains(installed.Prefix + "/bin", installed.InstallOutput); // says where, and how to put it on PATH
        var again = installed.Run(installed.Root, "bash", Path.Combine(InstalledCommands.RepositoryRoot, "install.sh"), "--no-build", "--prefix", installed.Prefix).Ok();
        Assert.Contains("installed", again.Out); // a second run replaces the install

        Assert.Contains("config", installed.Run(installed.Root, installed.Dkms, "--help").Ok().Out);
        Assert.Contains("testnet", installed.Run(installed.Root, installed.DkmsNode, "--help").Ok().Out);

        var (chainA, nodeA) = StartChain(installed, "chain-a");
        var (_, nodeB) = StartChain(installed, "chain-b");
        await WaitForAsync(nodeA);
        await WaitForAsync(nodeB);

        // Set up from chain A's folder with a relative genesis path; a passphrase file instead of the prompt.
        var passphrase = Path.Combine(installed.Folder("secrets"), "passphrase");
        File.WriteAllText(passphrase, "correct horse battery\n");
        installed.Run(chainA, installed.Dkms, "config", "init", "--genesis", "genesis.json", "--node", nodeA.ToString()).Ok();
        installed.Run(chainA, installed.Dkms, "wallet", "create", "--passphrase-file", passphrase).Ok();
        var created = installed.Run(chainA, installed.Dkms, "identity", "create", "--label", "alice", "--passphrase-file", passphrase, "--json").Ok();
        var id = JsonDocument.Parse(created.Out).RootElement.GetProperty("id").GetString()!;

        var elsewhere = installed.Folder("elsewhere");
        var verified = installed.Run(elsewhere, installed.Dkms, "resolve", id, "--verify", "--json").Ok();
        var result = JsonDocument.Parse(verified.Out).RootElement;
        Assert.True(result.GetProperty("verified").GetBoolean(), verified.Out);
        Assert.Equal(id, result.GetProperty("id").GetString());

        var refused = installed.Run(elsewhere, installed.Dkms, "--node", nodeB.ToString(), "resolve", id, "--verify", "--json").Fails(ExitCodes.WrongChain);
        Assert.Equal("WrongChain", JsonDocument.Parse(refused.Out).RootElement.GetProperty("error").GetProperty("code").GetString());
        installed.Run(elsewhere, installed.Dkms, "--node", nodeB.ToString(), "identity", "rotate", "--passphrase-file", passphrase).Fails(ExitCodes.WrongChain);
    }

    /// <summary>A one-validator chain made by the installed <c>dkms-node testnet</c> on ports free now, started with <c>dkms-node run</c>.</summary>
    private static (string Folder, Uri Rpc) StartChain(InstalledCommands installed, string chainId)
    {
        var folder = installed.Folder(chainId);
        var p2p = TestPorts.Next(ProtocolType.Udp).ToString(CultureInfo.InvariantCulture);
        var rpc = TestPorts.Next(ProtocolType.Tcp);
        installed.Run(folder, installed.DkmsNode, "testnet", "--output", folder, "--validators", "1", "--chain-id", chainId,
            "--p2p-port", p2p, "--rpc-port", rpc.ToString(CultureInfo.InvariantCulture)).Ok();
        installed.Start(folder, Path.Combine(folder, "node.out"), installed.DkmsNode, "run", "--config", Path.Combine(folder, "node0", "node.json"));
        return (folder, new Uri($"http://127.0.0.1:{rpc}/"));
    }

    private static async Task WaitForAsync(Uri node)
    {
        using var client = new DkmsRpcClient(node, TimeSpan.FromSeconds(5));
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await client.NodeStatusAsync();
                return;
            }
            catch (RpcException) when (attempt < 600)
            {
                await Task.Delay(100);
            }
        }
    }
}
