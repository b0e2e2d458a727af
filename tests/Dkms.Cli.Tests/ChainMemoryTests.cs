using Dkms.Cli.Tests.Support;

namespace Dkms.Cli.Tests;

/// <summary>
/// The CLI remembers the chain it was set up against and refuses a node of another chain before it sends that node
/// anything but the one question "which chain are you" — a transaction signed for one chain, or an answer taken from
/// another, is what a mistyped --node or whatever happens to listen on the default port would otherwise get. And the
/// genesis it was set up with is kept, so --verify works from any working directory.
/// </summary>
public sealed class ChainMemoryTests(Testnet testnet) : IClassFixture<Testnet>, IAsyncLifetime
{
    private const string OtherChainId = "dkms-other-chain";

    private OtherChain _other = null!;
    private RecordingProxy _toOther = null!;

    public async Task InitializeAsync()
    {
        _other = await OtherChain.StartAsync(OtherChainId);
        _toOther = await RecordingProxy.StartAsync(_other.RpcEndpoint);
    }

    public async Task DisposeAsync()
    {
        await _toOther.DisposeAsync();
        await _other.DisposeAsync();
    }

    [Fact]
    public async Task A_node_of_another_chain_is_refused_before_anything_is_sent_to_it()
    {
        var (alice, aliceId) = await testnet.IdentityAsync("wrongchain-alice");
        var other = _toOther.Endpoint.ToString();

        // --node names the other chain's node; then DKMS_NODE does (as a default would).
        var create = await alice.RunAsync("--node", other, "identity", "create", "--label", "second", "--json");
        AssertWrongChain(create);
        var resolve = await alice.RunAsync("--node", other, "resolve", aliceId, "--json");
        AssertWrongChain(resolve);
        var viaVariable = await new User(alice.Directory, alice.Wallet, new Dictionary<string, string>
        {
            ["DKMS_NODE"] = other,
            ["DKMS_GENESIS"] = testnet.Net.GenesisPath,
        }).RunAsync("resolve", aliceId, "--verify", "--json");
        AssertWrongChain(viaVariable);

        Assert.NotEmpty(_toOther.Methods);
        Assert.All(_toOther.Methods, m => Assert.Equal("node.status", m));
    }

    [Fact]
    public async Task A_node_of_another_chain_under_the_same_id_is_refused_before_anything_is_sent_to_it()
    {
        // A chain started again under the same id (a testnet cleaned and re-created, a copy of a production genesis with
        // other validators): the id matches, the genesis does not. Its answers would never verify; its transactions
        // must not be sent either.
        await using var twin = await OtherChain.StartAsync(Dkms.Node.Testing.InProcessTestnet.ChainId);
        await using var toTwin = await RecordingProxy.StartAsync(twin.RpcEndpoint);
        var (alice, aliceId) = await testnet.IdentityAsync("samechain-alice");

        var resolve = await alice.RunAsync("--node", toTwin.Endpoint.ToString(), "resolve", aliceId, "--json");
        var rotate = await alice.RunAsync("--node", toTwin.Endpoint.ToString(), "identity", "rotate", "--json");

        foreach (var run in new[] { resolve, rotate })
        {
            run.Fails(WrongChainExit);
            var error = run.Json.GetProperty("error");
            Assert.Equal("WrongChain", error.GetProperty("code").GetString());
            Assert.Contains("genesis", error.GetProperty("message").GetString()!);
        }

        Assert.NotEmpty(toTwin.Methods);
        Assert.All(toTwin.Methods, m => Assert.Equal("node.status", m));
    }

    [Fact]
    public async Task Set_up_once_then_verify_from_any_directory_and_refuse_another_chain()
    {
        using var home = new TempDir();
        using var elsewhere = new TempDir();
        var genesisDir = Path.GetDirectoryName(testnet.Net.GenesisPath)!;
        var wallet = Path.Combine(home.Path, "wallet.dkms");
        var atSetUp = new User(genesisDir, wallet) { Home = home.Path };

        // Set up from the folder holding the genesis, by a relative path; nothing else names node or genesis later.
        (await atSetUp.RunAsync("config", "init", "--genesis", Path.GetFileName(testnet.Net.GenesisPath), "--node", testnet.Net.RpcEndpoints[1].ToString())).Ok();
        (await atSetUp.RunAsync("wallet", "create")).Ok();
        var id = (await atSetUp.JsonAsync("identity", "create", "--label", "setup")).GetProperty("id").GetString()!;

        var verifier = new User(elsewhere.Path, wallet) { Home = home.Path };
        var verified = await verifier.JsonAsync("resolve", id, "--verify");
        Assert.True(verified.GetProperty("verified").GetBoolean(), verified.ToString());
        Assert.Equal(id, verified.GetProperty("id").GetString());

        AssertWrongChain(await verifier.RunAsync("--node", _toOther.Endpoint.ToString(), "resolve", id, "--verify", "--json"));
        AssertWrongChain(await verifier.RunAsync("--node", _toOther.Endpoint.ToString(), "identity", "rotate", "--json"));
        Assert.All(_toOther.Methods, m => Assert.Equal("node.status", m));
    }

    [Fact]
    public async Task Set_up_refuses_a_genesis_and_a_node_of_different_chains_and_writes_nothing()
    {
        using var home = new TempDir();
        var user = new User(home.Path, Path.Combine(home.Path, "wallet.dkms")) { Home = home.Path };

        AssertWrongChain(await user.RunAsync("config", "init", "--genesis", testnet.Net.GenesisPath, "--node", _toOther.Endpoint.ToString(), "--json"));
        Assert.False(Directory.Exists(Path.Combine(home.Path, ".dkms")) && Directory.EnumerateFiles(Path.Combine(home.Path, ".dkms")).Any());
    }

    [Fact]
    public async Task A_changed_genesis_is_noticed_a_new_set_up_needs_force_and_an_edited_copy_is_refused()
    {
        using var home = new TempDir();
        var source = home.File("genesis.json");
        File.Copy(testnet.Net.GenesisPath, source);
        var user = new User(home.Path, home.File("wallet.dkms")) { Home = home.Path };
        (await user.RunAsync("config", "init", "--genesis", "genesis.json", "--node", testnet.Net.RpcEndpoints[0].ToString())).Ok();
        var (_, id) = await testnet.IdentityAsync("changed-genesis");
        Assert.DoesNotContain("warning", (await user.RunAsync("resolve", id, "--verify")).Ok().Error);

        // The testnet's folder gets a new genesis (as `run-testnet.sh clean` and a start would write): the client keeps
        // trusting its copy, says the source changed, and a set-up for the new genesis must be asked for with --force.
        var restarted = testnet.Net.Genesis with { GenesisTime = testnet.Net.Genesis.GenesisTime.AddDays(1) };
        File.WriteAllText(source, restarted.ToJson());
        var warned = (await user.RunAsync("resolve", id, "--verify")).Ok();
        Assert.Contains("has changed since 'dkms config init'", warned.Error);
        (await user.RunAsync("config", "init", "--genesis", "genesis.json")).Fails(ExitCodes.Usage);
        // The node still serves the chain of the old genesis: setting up for the new one against it is refused; with the
        // new chain's node not up yet (nothing listens) it is a warning, as for any unreachable node.
        (await user.RunAsync("config", "init", "--genesis", "genesis.json", "--force")).Fails(ExitCodes.WrongChain);
        (await user.RunAsync("config", "init", "--genesis", "genesis.json", "--force", "--node", NothingListens)).Ok();
        var shown = await user.JsonAsync("config", "show");
        Assert.Equal(Dkms.Core.Primitives.Hash32.Sha256(File.ReadAllBytes(source)).ToHex(), shown.GetProperty("genesisSha256").GetString());

        // An edited copy no longer hashes to what was recorded: refused, never used.
        var copy = shown.GetProperty("genesisFile").GetString()!;
        File.WriteAllText(copy, testnet.Net.Genesis.ToJson());
        var edited = await user.RunAsync("resolve", id, "--verify", "--json");
        edited.Fails(ExitCodes.Usage);
        Assert.Contains("no longer matches the hash recorded", edited.Error);
    }

    /// <summary>A port nothing listens on (discard): the connection is refused at once.</summary>
    private const string NothingListens = "http://127.0.0.1:9/";

    private static void AssertWrongChain(CliRun run)
    {
        run.Fails(WrongChainExit);
        var error = run.Json.GetProperty("error");
        Assert.Equal("WrongChain", error.GetProperty("code").GetString());
        var message = error.GetProperty("message").GetString()!;
        Assert.Contains(OtherChainId, message);
        Assert.Contains(Dkms.Node.Testing.InProcessTestnet.ChainId, message);
    }

    private const int WrongChainExit = ExitCodes.WrongChain;
}
