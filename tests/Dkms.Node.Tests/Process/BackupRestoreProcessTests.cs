using System.Globalization;
using Dkms.Client;
using Dkms.Node.Tests.Support;
using Dkms.Rpc;
using Xunit.Abstractions;

namespace Dkms.Node.Tests.Process;

/// <summary>
/// Issue 19 §3 at the process level: <c>dkms-node backup</c> of a running validator, more blocks signed by it, its data
/// directory lost, <c>dkms-node restore</c> of the older backup, and the validator rejoins: it catches up, the chain goes
/// on, it signs again only after its signing hold, and no node ever sees it sign two conflicting votes.
/// </summary>
public sealed class BackupRestoreProcessTests(ITestOutputHelper output)
{
    private const int Restored = 3;

    [Fact]
    public async Task A_validator_restored_from_an_older_backup_catches_up_rejoins_signing_and_never_equivocates()
    {
        using var net = new ProcessTestnet(4);
        for (var i = 0; i < 4; i++) net.Start(i);
        var clients = net.RpcEndpoints.Select(u => new DkmsRpcClient(u)).ToArray();
        var builder = new TransactionBuilder(ProcessTestnet.ChainId);
        try
        {
            await ProcessTestnetTests.WaitForPeersAsync(clients, 3, net);
            await CommitRoundsAsync(clients[0], builder, "before", 3);

            // The backup, taken while the node runs and commits.
            var backup = Path.Combine(net.Directory, "backup-node3");
            var (code, text) = ProcessTestnet.RunCommand("backup", "--to", backup, "--rpc", net.RpcEndpoints[Restored].ToString());
            output.WriteLine(text);
            Assert.True(code == 0, text);
            Assert.Contains("written to", text);

            // The validator keeps signing past the backup, then its data directory is lost.
            var top = await CommitRoundsAsync(clients[0], builder, "after-backup", 6);
            await ProcessTestnetTests.WaitForHeightAsync([clients[Restored]], top, () => net.Log(Restored));
            Assert.Equal(0, net.Terminate(Restored, TimeSpan.FromSeconds(30)));
            var dataDir = Path.Combine(net.Directory, $"node{Restored}");

            // Restore refuses a data directory that still holds a store.
            (code, text) = ProcessTestnet.RunCommand("restore", "--from", backup, "--data-dir", dataDir);
            Assert.True(code == 2 && text.Contains("holds a store", StringComparison.Ordinal), text);

            Directory.Delete(Path.Combine(dataDir, "ledger"), recursive: true);
            Directory.Delete(Path.Combine(dataDir, "pending"), recursive: true);
            (code, text) = ProcessTestnet.RunCommand("restore", "--from", backup, "--data-dir", dataDir);
            output.WriteLine(text);
            Assert.True(code == 0, text);

            // Started: it catches up from its peers while the chain goes on, then (once past the hold's floor) signs again.
            var logStart = net.Log(Restored).Length;
            net.Start(Restored);
            var after = await CommitRoundsAsync(clients[0], builder, "after-restore", 4);
            await ProcessTestnetTests.WaitForHeightAsync([clients[Restored]], after, () => net.Log(Restored));
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
            var round = 0;
            while (!net.Log(Restored)[logStart..].Contains("Signing hold released", StringComparison.Ordinal))
            {
                Assert.True(DateTime.UtcNow < deadline, $"the restored node never released its signing hold; its log:\n{net.Log(Restored)[logStart..]}");
                after = await CommitRoundsAsync(clients[round++ % 3], builder, $"until-released-{round}", 1);
            }

            after = await CommitRoundsAsync(clients[Restored], builder, "signing-again", 3);
            await ProcessTestnetTests.WaitForHeightAsync(clients, after, () => net.Log(Restored));
            var log = net.Log(Restored)[logStart..];
            output.WriteLine(log);
            Assert.Contains("Signing is held", log);
            var released = ReleasedAt(log);
            Assert.True(released > top + 1, $"signing resumed at height {released}; the validator had signed up to {top} before its directory was lost");

            // No node saw the restored validator (or any other) sign two conflicting votes.
            using var http = new HttpClient();
            for (var i = 0; i < 4; i++)
            {
                var metrics = await http.GetStringAsync(new Uri(net.RpcEndpoints[i], "metrics"));
                Assert.Equal(0, Counter(metrics, "dkms_consensus_equivocations_total"));
            }
        }
        finally
        {
            foreach (var c in clients) c.Dispose();
        }
    }

    /// <summary>Commits <paramref name="rounds"/> rounds of three inceptions through <paramref name="client"/>; the highest height.</summary>
    private static async Task<ulong> CommitRoundsAsync(DkmsRpcClient client, TransactionBuilder builder, string label, int rounds)
    {
        ulong top = 0;
        for (var r = 0; r < rounds; r++)
        {
            var answers = await Task.WhenAll(Enumerable.Range(0, 3)
                .Select(k => client.SubmitAsync(new TestIdentity($"{label}-{r}-{k}", builder).Incept(), SubmitModes.Commit, 60_000)));
            top = Math.Max(top, answers.Max(a => a.Height!.Value));
        }

        return top;
    }

    private static ulong ReleasedAt(string log)
    {
        const string marker = "signing again from height ";
        var i = log.IndexOf(marker, StringComparison.Ordinal);
        Assert.True(i >= 0, "no release line in the log");
        var digits = new string(log[(i + marker.Length)..].TakeWhile(char.IsDigit).ToArray());
        return ulong.Parse(digits, CultureInfo.InvariantCulture);
    }

    private static double Counter(string metrics, string name)
    {
        var line = metrics.Split('\n').FirstOrDefault(l => l.StartsWith(name + " ", StringComparison.Ordinal));
        return line is null ? 0 : double.Parse(line[(name.Length + 1)..], CultureInfo.InvariantCulture);
    }
}
