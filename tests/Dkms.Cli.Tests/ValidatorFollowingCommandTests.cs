using System.Text.Json.Nodes;
using Dkms.Cli.Tests.Support;
using Dkms.Client.Tests.Support;
using Dkms.Node.Testing;
using Dkms.Rpc;

namespace Dkms.Cli.Tests;

/// <summary>Four in-process validators whose set changed twice (a validator added, then one removed), and an identity
/// created through the CLI after both changes took effect.</summary>
public sealed class ChangedSetTestnet : IAsyncLifetime
{
    public Testnet Testnet { get; } = new();

    public string Id { get; private set; } = "";

    public async Task InitializeAsync()
    {
        await Testnet.InitializeAsync();
        await ValidatorSetChanges.AddThenRemoveAsync(Testnet.Net);
        (_, Id) = await Testnet.IdentityAsync("after-changes");
    }

    public Task DisposeAsync() => Testnet.DisposeAsync();
}

/// <summary>
/// <c>dkms resolve --verify</c> trusting only the genesis after the validator set changed: it follows the certified
/// changes, keeps the sets it verified in a private file that only grows, and refuses a forged change with exit code 5.
/// </summary>
public sealed class ValidatorFollowingCommandTests(ChangedSetTestnet fixture) : IClassFixture<ChangedSetTestnet>, IAsyncLifetime
{
    private LyingProxy _proxy = null!;

    public async Task InitializeAsync() => _proxy = await LyingProxy.StartAsync(fixture.Testnet.Net.RpcEndpoints[0]);

    public async Task DisposeAsync() => await _proxy.DisposeAsync();

    [Fact]
    public async Task Resolve_verify_from_genesis_trust_succeeds_after_a_validator_was_added_and_one_removed()
    {
        var verifier = Verifier("honest", CacheFile());
        var resolved = await verifier.JsonAsync("resolve", fixture.Id, "--verify");
        Assert.Equal(fixture.Id, resolved.GetProperty("id").GetString());
    }

    [Fact]
    public async Task The_verified_sets_are_cached_used_by_the_next_run_and_never_shrink()
    {
        var cache = CacheFile();
        (await Verifier("first", cache).RunAsync("resolve", fixture.Id, "--verify")).Ok();
        Assert.Equal([1UL, 2], CachedSequences(cache));
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(cache));

        // A node that hides every change: a run with the cache verifies (the sets come from the cache), and the cache keeps them.
        _proxy.Tamper(RpcMethods.ValidatorHistory, _ => true, r => ((JsonArray)r["changes"]!).Clear());
        var told = _proxy.LiesTold;
        var second = Verifier("second", cache);
        (await second.RunAsync("resolve", fixture.Id, "--verify")).Ok();
        Assert.True(_proxy.LiesTold > told, "the history was not asked for");
        Assert.Equal([1UL, 2], CachedSequences(cache));

        // The same lie to a run without the cache: the answer is certified by a set it cannot know, so it is refused.
        (await Verifier("uncached", CacheFile()).RunAsync("resolve", fixture.Id, "--verify")).Fails(ExitCodes.VerificationFailed);

        // A cache that does not continue the genesis (a gap) is refused, not trusted.
        var gap = JsonNode.Parse(await File.ReadAllTextAsync(cache))!;
        ((JsonArray)gap["chains"]!.AsObject().Single().Value!).RemoveAt(0);
        await File.WriteAllTextAsync(cache, gap.ToJsonString());
        Assert.Contains("does not continue", (await second.RunAsync("resolve", fixture.Id, "--verify")).Fails(ExitCodes.Usage).Error);
    }

    [Fact]
    public async Task A_cached_set_reached_by_skipping_continues_the_chain_and_a_gap_without_the_mark_does_not()
    {
        var cache = CacheFile();
        (await Verifier("skip-cache", cache).RunAsync("resolve", fixture.Id, "--verify", "--trusting-period", "0")).Ok();
        var written = JsonNode.Parse(await File.ReadAllTextAsync(cache))!;
        var sets = (JsonArray)written["chains"]!.AsObject().Single().Value!;
        Assert.All(sets, s => Assert.False(s!["skipped"]!.GetValue<bool>()));
        Assert.All(sets, s => Assert.True(s!["verifiedAtMs"]!.GetValue<long>() > 0));

        // Only the newest set, marked as reached by skipping: a later run resumes from it while the node hides every change.
        sets.RemoveAt(0);
        sets[0]!["skipped"] = true;
        await File.WriteAllTextAsync(cache, written.ToJsonString());
        _proxy.Tamper(RpcMethods.ValidatorHistory, _ => true, r => ((JsonArray)r["changes"]!).Clear());
        (await Verifier("skip-cache-2", cache).RunAsync("resolve", fixture.Id, "--verify")).Ok();

        sets[0]!["skipped"] = false;
        await File.WriteAllTextAsync(cache, written.ToJsonString());
        Assert.Contains("does not continue", (await Verifier("skip-cache-3", cache).RunAsync("resolve", fixture.Id, "--verify")).Fails(ExitCodes.Usage).Error);
    }

    [Theory]
    [InlineData("x")]
    [InlineData("-1")]
    [InlineData("366")]
    public async Task A_trusting_period_that_is_not_a_number_of_days_is_a_usage_error(string days)
    {
        var run = await Verifier("period", CacheFile()).RunAsync("resolve", fixture.Id, "--verify", "--trusting-period", days);
        Assert.Contains("--trusting-period", run.Fails(ExitCodes.Usage).Error);
    }

    [Theory]
    [InlineData("a set other than the proven one")]
    [InlineData("a change left out")]
    [InlineData("a certificate by the wrong keys")]
    public async Task A_forged_change_is_refused_with_exit_code_5_and_nothing_is_cached(string lie)
    {
        // The pages of the history (the testnet's genesis is older than the trusting period: no skipping, no newest question).
        _proxy.Tamper(RpcMethods.ValidatorHistory, call => call.Params["newest"] is null, r =>
        {
            var changes = (JsonArray)r["changes"]!;
            switch (lie)
            {
                case "a set other than the proven one":
                    changes[0]!["validators"]![0]!["power"] = 100;
                    break;
                case "a change left out":
                    changes.RemoveAt(0);
                    break;
                default:
                    // The certificate of the second change's height in place of the first's: signed, but by the set after the first change.
                    changes[0]!["proof"]!["certificate"] = changes[1]!["proof"]!["certificate"]!.GetValue<string>();
                    break;
            }
        });
        var cache = CacheFile();
        var told = _proxy.LiesTold;
        var run = await Verifier("forged", cache).RunAsync("resolve", fixture.Id, "--verify", "--json");
        Assert.True(_proxy.LiesTold > told, $"the lie ({lie}) was not served");
        run.Fails(ExitCodes.VerificationFailed);
        Assert.Contains("validator-set change refused", run.Json.GetProperty("error").GetProperty("message").GetString());
        Assert.False(File.Exists(cache));
    }

    private User Verifier(string name, string cache) =>
        fixture.Testnet.Person(name).With("DKMS_NODE", _proxy.Endpoint.ToString()).With("DKMS_TRUSTED_VALIDATORS", cache)
            .With("DKMS_VERIFIED_HEIGHTS", Path.Combine(fixture.Testnet.Directory, $"heights-{Guid.NewGuid():N}.json"));

    private string CacheFile() => Path.Combine(fixture.Testnet.Directory, $"trusted-{Guid.NewGuid():N}", "trusted-validators.json");

    private static ulong[] CachedSequences(string cache) =>
        [.. JsonNode.Parse(File.ReadAllText(cache))!["chains"]!.AsObject().Single().Value!.AsArray().Select(s => s!["sequence"]!.GetValue<ulong>())];
}
