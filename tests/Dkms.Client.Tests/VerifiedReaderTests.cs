using System.Text.Json.Nodes;
using Dkms.Client.Tests.Support;
using Dkms.Core.Transactions;

namespace Dkms.Client.Tests;

/// <summary>
/// The verified reader over RPC through a lying node: it binds each answer to the request it sent, keeps
/// the highest height it verified, and refuses what the node substitutes — in a seeded random order —
/// while it accepts the honest node's answers.
/// </summary>
[Collection(LyingNodeCollection.Name)]
public sealed class VerifiedReaderTests(LyingNodeFixture fixture) : IDisposable
{
    private readonly LyingProxy _proxy = fixture.Proxy;

    public void Dispose() => _proxy.BeHonest();

    [Fact]
    public async Task A_lying_node_gets_no_substitute_past_the_reader_and_the_honest_answers_pass()
    {
        var trustee = fixture.Owner("reader-trustee");
        var created = await trustee.InceptAsync();
        var mallory = fixture.Owner("reader-mallory");
        await mallory.InceptAsync();
        var agent = Owner.Key("reader-agent").PublicKey;
        var granted = await trustee.SetAgentAsync("door", agent, AgentRights.Prove);
        await mallory.SetAgentAsync("door", agent, AgentRights.Admin);
        await trustee.AddAgreementKeyAsync(1);
        var revoked = await trustee.RevokeAgreementKeyAsync(0);
        var removed = await trustee.SetAgentAsync("door", agent, AgentRights.None);
        var rotated = await trustee.RotateAsync();

        var reader = new VerifiedReader(fixture.ThroughProxy, fixture.Chain, TimeSpan.FromMinutes(5)) { BehindRetryDelay = TimeSpan.FromMilliseconds(10) };
        var honest = await reader.ResolveAsync(trustee.Id);
        Assert.Equal(["x25519-1"], honest.Value!.KeyAgreementKeys.Where(k => k.IsActive).Select(k => k.Id));
        Assert.Equal(AgentRights.None, (await reader.PolicyAsync(trustee.Id, "door")).Value!.RightsOf(agent));
        Assert.True(reader.HighestVerifiedHeight >= rotated);

        var trusteeId = trustee.Id.ToString();
        var rng = new Random(1507);
        var lies = new (string Name, Action Tell, Func<Task> Ask, VerificationFailure Expected)[]
        {
            ("another identity", () => _proxy.AnswerInstead("identity.resolve", c => c.Param("id") == trusteeId, p => p["id"] = mallory.Id.ToString()),
                () => reader.ResolveAsync(trustee.Id), VerificationFailure.NotWhatWasAsked),
            ("the identity before its key-agreement key was revoked", () => _proxy.AnswerInstead("identity.resolve", c => c.Param("id") == trusteeId, p => p["height"] = Between(rng, created, revoked - 1)),
                () => reader.ResolveAsync(trustee.Id), VerificationFailure.BelowVerifiedHeight),
            ("another height than asked", () => _proxy.AnswerInstead("identity.resolve", c => c.Param("id") == trusteeId, p => p["height"] = Between(rng, created, rotated - 1)),
                () => reader.ResolveAsync(trustee.Id, rotated), VerificationFailure.NotWhatWasAsked),
            ("a key written into the readable answer", () => _proxy.Tamper("identity.resolve", c => c.Param("id") == trusteeId,
                r => r["identity"]!["keyAgreementKeys"]![0]!["key"] = Owner.Key("mallory-x25519").PublicKey.ToHex()),
                () => reader.ResolveAsync(trustee.Id), VerificationFailure.Invalid),
            ("the policy before the agent was removed", () => _proxy.AnswerInstead("policy.get", c => c.Param("owner") == trusteeId, p => p["height"] = Between(rng, granted, removed - 1)),
                () => reader.PolicyAsync(trustee.Id, "door"), VerificationFailure.BelowVerifiedHeight),
            ("another owner's policy", () => _proxy.AnswerInstead("policy.get", c => c.Param("owner") == trusteeId, p => p["owner"] = mallory.Id.ToString()),
                () => reader.PolicyAsync(trustee.Id, "door"), VerificationFailure.NotWhatWasAsked),
            ("no proof at all", () => _proxy.AnswerInstead("identity.resolve", c => c.Param("id") == trusteeId, p => p["proof"] = false),
                () => reader.ResolveAsync(trustee.Id), VerificationFailure.Invalid),
        };
        var order = lies.Concat(lies).ToArray();
        rng.Shuffle(order);
        foreach (var (name, tell, ask, expected) in order)
        {
            tell();
            var told = _proxy.LiesTold;
            var refused = await Assert.ThrowsAsync<VerificationException>(ask);
            Assert.True(_proxy.LiesTold > told, $"the lie ({name}) was not served");
            Assert.True(expected == refused.Failure, $"{name}: refused as {refused.Failure} ({refused.Message}), expected {expected}");
        }

        _proxy.BeHonest();
        Assert.Equal(trustee.Id, (await reader.ResolveAsync(trustee.Id)).Value!.Id);
        Assert.Equal(rotated, (await reader.ResolveAsync(trustee.Id, rotated)).Height);
    }

    [Fact]
    public async Task A_node_behind_is_asked_again_and_a_node_that_stays_behind_is_refused()
    {
        var someone = fixture.Owner("reader-behind");
        var created = await someone.InceptAsync();
        await someone.RotateAsync();
        var id = someone.Id.ToString();
        var reader = new VerifiedReader(fixture.ThroughProxy, fixture.Chain, TimeSpan.FromMinutes(5)) { BehindRetries = 3, BehindRetryDelay = TimeSpan.FromMilliseconds(10) };
        var seen = (await reader.ResolveAsync(someone.Id)).Height;

        // Behind twice, then caught up: the third answer is taken.
        var behind = 2;
        _proxy.Lie = async call => call.Method == "identity.resolve" && call.Param("id") == id && behind-- > 0
            ? await _proxy.AskHonestlyAsync(call.Method, new JsonObject { ["id"] = id, ["height"] = created, ["proof"] = true })
            : null;
        var told = _proxy.LiesTold;
        Assert.True((await reader.ResolveAsync(someone.Id)).Height >= seen);
        Assert.Equal(told + 2, _proxy.LiesTold);

        // Behind every time: refused after the retries.
        _proxy.AnswerInstead("identity.resolve", c => c.Param("id") == id, p => p["height"] = created);
        told = _proxy.LiesTold;
        var refused = await Assert.ThrowsAsync<VerificationException>(() => reader.ResolveAsync(someone.Id));
        Assert.Equal(VerificationFailure.BelowVerifiedHeight, refused.Failure);
        Assert.Equal(told + 4, _proxy.LiesTold);
    }

    private static JsonNode Between(Random rng, ulong low, ulong high) => JsonValue.Create((ulong)rng.NextInt64((long)low, (long)high + 1))!;
}
