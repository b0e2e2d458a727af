using System.Text;
using System.Text.Json.Nodes;
using Dkms.Core.Transactions;
using Dkms.Node.Commands;
using Dkms.Node.Testing;
using Dkms.Node.Tests.Support;

namespace Dkms.Node.Tests.Commands;

/// <summary><c>dkms-node validators propose|sign|submit</c> against in-process nodes.</summary>
public sealed class ValidatorsCommandTests
{
    [Fact]
    public async Task A_change_is_proposed_signed_in_turn_and_submitted_and_the_peer_set_follows_it()
    {
        await using var net = await InProcessTestnet.StartAsync(4);
        var fifth = net.AddNode();
        var file = Path.Combine(net.Directory, "add-fifth.json");
        var rpc = net.RpcEndpoints[0].ToString();

        var (code, output, _) = await RunAsync("propose", "--rpc", rpc, "--output", file, "--add", $"{net.KeyOf(fifth).ToHex()}={net.P2PAddressOf(fifth)}");
        Assert.Equal(0, code);
        Assert.Contains("added", output);
        Assert.Contains(net.KeyOf(fifth).ToHex(), output);

        foreach (var i in new[] { 0, 1, fifth })
        {
            (code, output, _) = await RunAsync("sign", file, "--node-key", KeyFile(net, i), "--rpc", rpc);
            Assert.Equal(0, code);
        }

        Assert.Contains("will not count", output); // the fifth is not a validator yet

        // Two of four (the fifth does not count) is not more than 2/3: refused before anything is sent.
        string error;
        (code, _, error) = await RunAsync("submit", file, "--rpc", rpc);
        Assert.Equal(ValidatorsCommand.Refused, code);
        Assert.Contains("more than 2/3", error);
        Assert.Equal(0UL, net.Node(0).Ledger.CommittedSequence(Governance.Subject));

        (code, _, _) = await RunAsync("sign", file, "--node-key", KeyFile(net, 2));
        Assert.Equal(0, code);
        (code, output, error) = await RunAsync("submit", file, "--rpc", net.RpcEndpoints[3].ToString());
        Assert.True(code == 0, error);
        Assert.Contains("Left out 1 signature", output);
        Assert.True(await Eventually.TrueAsync(() => net.Node(0).Ledger.CommittedSequence(Governance.Subject) == 1, TimeSpan.FromSeconds(30)), "node 0 did not commit the change");
        var height = net.Node(0).Ledger.Height;
        Assert.Contains(net.Node(0).Ledger.ValidatorSetAt(height + Governance.ActivationDelay)!, v => v.NodeKey == net.KeyOf(fifth) && v.Address == net.P2PAddressOf(fifth));
        // As soon as the change commits, the peer set names the validator to come.
        Assert.True(await Eventually.TrueAsync(() => net.Node(0).PeerSet.Any(p => p.Key == net.KeyOf(fifth) && p.Address == net.P2PAddressOf(fifth)), TimeSpan.FromSeconds(30)), "the peer set does not name the fifth");

        // The same proposal again is stale: the chain expects the next change.
        (code, _, error) = await RunAsync("submit", file, "--rpc", rpc);
        Assert.Equal(ValidatorsCommand.Refused, code);
        Assert.Contains("expects #2", error);

        // A node restarted later takes its peer set from its ledger, not from the genesis.
        Assert.True(await Eventually.TrueAsync(() => net.Node(1).Ledger.CommittedSequence(Governance.Subject) == 1, TimeSpan.FromSeconds(30)));
        await net.StopNodeAsync(1);
        await net.StartNodeAsync(1);
        Assert.Contains(net.Node(1).PeerSet, p => p.Key == net.KeyOf(fifth));
    }

    [Fact]
    public async Task Proposals_that_are_not_well_formed_are_refused_before_they_are_written()
    {
        await using var net = await InProcessTestnet.StartAsync(4);
        var rpc = net.RpcEndpoints[0].ToString();
        var key3 = net.KeyOf(3).ToHex();
        string[][] bad =
        [
            ["--add", $"{key3}=127.0.0.1:9"], // already a validator
            ["--add", "abcd=127.0.0.1:9"], // not a key
            ["--add", $"{new string('7', 64)}=127.0.0.1:0"], // port 0
            ["--add", $"{new string('7', 64)}=evil host:26656"], // a space
            ["--add", $"{new string('7', 64)}={new string('a', 300)}:1"], // too long
            ["--power", $"{key3}=0"],
            ["--remove", new string('7', 64)], // not a validator
        ];
        foreach (var args in bad)
        {
            var file = Path.Combine(net.Directory, $"bad-{Guid.NewGuid():N}.json");
            await Assert.ThrowsAsync<ArgumentException>(() => RunAsync(["propose", "--rpc", rpc, "--output", file, .. args]));
            Assert.False(File.Exists(file), string.Join(' ', args));
        }

        var all = net.Node(0).Ledger.ValidatorSetAt(1)!;
        var empty = Path.Combine(net.Directory, "empty.json");
        await Assert.ThrowsAsync<ArgumentException>(() => RunAsync(["propose", "--rpc", rpc, "--output", empty, .. all.SelectMany(v => new[] { "--remove", v.NodeKey.ToHex() })]));
    }

    [Fact]
    public async Task An_edited_or_corrupted_proposal_file_is_refused_or_reads_exactly_as_signed()
    {
        await using var net = await InProcessTestnet.StartAsync(4);
        var fifth = net.AddNode();
        var file = Path.Combine(net.Directory, "proposal.json");
        var (code, _, _) = await RunAsync("propose", "--rpc", net.RpcEndpoints[0].ToString(), "--output", file, "--add", $"{net.KeyOf(fifth).ToHex()}={net.P2PAddressOf(fifth)}");
        Assert.Equal(0, code);
        (code, _, _) = await RunAsync("sign", file, "--node-key", KeyFile(net, 0));
        Assert.Equal(0, code);
        var original = ValidatorChangeFile.Open(file);
        var text = await File.ReadAllTextAsync(file);

        // Hand edits of the readable copy or of a signature: refused, so an operator never signs what they did not read.
        var json = JsonNode.Parse(text)!;
        json["proposed"]![0]!["address"] = "10.0.0.66:26656";
        AssertRefused(net, json.ToJsonString());
        json = JsonNode.Parse(text)!;
        json["signatures"]![0]!["value"] = Convert.ToBase64String(new byte[64]);
        AssertRefused(net, json.ToJsonString());
        json = JsonNode.Parse(text)!;
        json["signatures"] = new JsonArray(json["signatures"]![0]!.DeepClone(), json["signatures"]![0]!.DeepClone());
        AssertRefused(net, json.ToJsonString());

        // Seeded random corruption: each mutated file is refused, or (a change only in layout) reads as the original.
        var random = new Random(16_6);
        var bytes = Encoding.UTF8.GetBytes(text);
        var accepted = 0;
        for (var round = 0; round < 300; round++)
        {
            var mutated = (byte[])bytes.Clone();
            for (var k = 0; k < 1 + random.Next(3); k++) mutated[random.Next(mutated.Length)] = (byte)random.Next(256);
            var path = Path.Combine(net.Directory, "mutated.json");
            await File.WriteAllBytesAsync(path, mutated);
            try
            {
                var read = ValidatorChangeFile.Open(path);
                Assert.Equal(original.BodyBytes, read.BodyBytes);
                Assert.Equal(original.VerifiedSignatures(file).Select(s => s.Key), read.VerifiedSignatures(path).Select(s => s.Key));
                accepted++;
            }
            catch (ArgumentException)
            {
                // refused with a message: the expected outcome for nearly every mutation
            }
        }

        Assert.True(accepted < 300, "no mutation was refused");
    }

    [Fact]
    public void The_help_names_every_action_and_option_the_command_accepts()
    {
        var help = Usage.For("validators");
        foreach (var word in new[] { "propose", "sign", "submit", "--output", "--rpc", "--add", "--remove", "--address", "--power", "--data-dir", "--node-key", "--timeout-ms", "2/3", "docs/node.md" })
        {
            Assert.Contains(word, help);
        }

        Assert.Contains("validators", Usage.For(""));
    }

    private static void AssertRefused(InProcessTestnet net, string content)
    {
        var path = Path.Combine(net.Directory, $"edited-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, content);
        Assert.Throws<ArgumentException>(() => ValidatorChangeFile.Open(path));
    }

    private static string KeyFile(InProcessTestnet net, int i)
    {
        var path = Path.Combine(net.Directory, "keys", $"node{i}.json");
        if (!File.Exists(path)) net.WriteNodeKeyFile(i, path);
        return path;
    }

    private static async Task<(int Code, string Output, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await ValidatorsCommand.RunAsync(args, output, error);
        return (code, output.ToString(), error.ToString());
    }
}
