using Dkms.Client.Tests.Support;
using Dkms.Core.Primitives;
using Dkms.Core.Transactions;
using Microsoft.Extensions.Time.Testing;

namespace Dkms.Client.Tests;

/// <summary>
/// The verifier against genuine answers to other questions — what a lying node has at hand: another
/// identity's proof, a proof from before a rotation or a revocation, another owner's or another
/// policy's proof, a proof at another height than the one asked for, an old certified block. Each is
/// refused for its reason; the answer to the question asked is accepted. The lies are drawn from a seeded generator.
/// </summary>
[Collection(LyingNodeCollection.Name)]
public sealed class ProofVerifierTests(LyingNodeFixture fixture)
{
    private static readonly Freshness NoAgeBound = new(TimeSpan.MaxValue);

    private readonly TrustedChain _chain = fixture.Chain;

    [Fact]
    public async Task A_genuine_identity_proof_that_answers_another_question_is_refused_for_its_reason()
    {
        var victim = fixture.Owner("id-victim");
        var created = await victim.InceptAsync();
        var other = fixture.Owner("id-other");
        await other.InceptAsync();
        await Task.Delay(50); // the rotation's block is then strictly younger than the blocks before it
        var rotated = await victim.RotateAsync();
        var latest = await fixture.Honest.ResolveAsync(victim.Id, proof: true);
        var latestTime = ProofVerifier.VerifyIdentity(latest, new IdentityQuery(victim.Id), _chain, NoAgeBound).BlockTime;
        Assert.True(ProofVerifier.VerifyIdentity(latest, new IdentityQuery(victim.Id), _chain, Freshness.Default).IsValid);
        var rotatedKey = victim.KeyAt(1).PublicKey.ToHex();
        Assert.Equal([rotatedKey], latest.Identity!.SigningKeys);

        var rng = new Random(1504);
        var seen = new HashSet<string>();
        for (var round = 0; round < 30; round++)
        {
            var old = await fixture.Honest.ResolveAsync(victim.Id, Between(rng, created, rotated - 1), proof: true);
            var oldTime = ProofVerifier.VerifyIdentity(old, new IdentityQuery(victim.Id, old.Height), _chain, NoAgeBound).BlockTime;
            var (name, answer, query, freshness, expected) = rng.Next(6) switch
            {
                0 => ("another identity", await fixture.Honest.ResolveAsync(other.Id, proof: true), new IdentityQuery(victim.Id), Freshness.Default, VerificationFailure.NotWhatWasAsked),
                1 => ("another identity named as the one asked", (await fixture.Honest.ResolveAsync(other.Id, proof: true)) with { Id = victim.Id.ToString() },
                    new IdentityQuery(victim.Id), Freshness.Default, VerificationFailure.NotWhatWasAsked),
                2 => ("a height below one already verified", old, new IdentityQuery(victim.Id), new Freshness(TimeSpan.MaxValue, latest.Height), VerificationFailure.BelowVerifiedHeight),
                3 => ("another height than asked", old, new IdentityQuery(victim.Id, rotated), Freshness.Default, VerificationFailure.NotWhatWasAsked),
                4 => ("a block older than the bound", old, new IdentityQuery(victim.Id), new Freshness((latestTime - oldTime) / 2, 0, new FakeTimeProvider(latestTime)), VerificationFailure.TooOld),
                _ => ("a readable view that is not the proven one", latest with { Identity = latest.Identity with { SigningKeys = [victim.KeyAt(0).PublicKey.ToHex()] } },
                    new IdentityQuery(victim.Id), Freshness.Default, VerificationFailure.Invalid),
            };
            seen.Add(name);
            var result = ProofVerifier.VerifyIdentity(answer, query, _chain, freshness);
            Assert.False(result.IsValid, $"accepted {name}");
            Assert.Equal(expected, result.Failure);
            Assert.Null(result.Value);
        }

        Assert.Equal(6, seen.Count);

        // The same answers are right when they answer the question asked.
        Assert.True(ProofVerifier.VerifyIdentity(latest, new IdentityQuery(victim.Id, latest.Height), _chain, new Freshness(TimeSpan.MaxValue, latest.Height)).IsValid);
        var before = await fixture.Honest.ResolveAsync(victim.Id, rotated - 1, proof: true);
        var proven = ProofVerifier.VerifyIdentity(before, new IdentityQuery(victim.Id, rotated - 1), _chain, new Freshness(TimeSpan.FromTicks(1), latest.Height));
        Assert.True(proven.IsValid, proven.Error); // an explicit height is bound by that height, not by age or a later height seen
        Assert.Equal(victim.KeyAt(0).PublicKey, proven.Value!.Keys.SigningKeys[0]);
    }

    [Fact]
    public async Task A_genuine_policy_proof_of_another_owner_policy_or_time_is_refused()
    {
        var owner = fixture.Owner("pol-owner");
        await owner.InceptAsync();
        var mallory = fixture.Owner("pol-mallory");
        await mallory.InceptAsync();
        var phone = Owner.Key("pol-phone").PublicKey;
        var granted = await owner.SetAgentAsync("home", phone, AgentRights.Prove);
        await owner.SetAgentAsync("office", phone, AgentRights.Admin);
        await mallory.SetAgentAsync("home", phone, AgentRights.Admin);
        await Task.Delay(50);
        var removed = await owner.SetAgentAsync("home", phone, AgentRights.None);
        var asked = new PolicyQuery(owner.Id, "home");
        var latest = await fixture.Honest.PolicyAsync(owner.Id, "home", proof: true);
        var latestTime = ProofVerifier.VerifyPolicy(latest, asked, _chain, NoAgeBound).BlockTime;
        var honest = ProofVerifier.VerifyPolicy(latest, asked, _chain, Freshness.Default);
        Assert.True(honest.IsValid, honest.Error);
        Assert.Equal(AgentRights.None, honest.Value!.RightsOf(phone));

        var rng = new Random(1505);
        var seen = new HashSet<string>();
        for (var round = 0; round < 30; round++)
        {
            var old = await fixture.Honest.PolicyAsync(owner.Id, "home", Between(rng, granted, removed - 1), proof: true);
            var oldTime = ProofVerifier.VerifyPolicy(old, asked with { Height = old.Height }, _chain, NoAgeBound).BlockTime;
            var (name, answer, query, freshness, expected) = rng.Next(6) switch
            {
                0 => ("another owner's policy", await fixture.Honest.PolicyAsync(mallory.Id, "home", proof: true), asked, Freshness.Default, VerificationFailure.NotWhatWasAsked),
                1 => ("another policy of the owner", await fixture.Honest.PolicyAsync(owner.Id, "office", proof: true), asked, Freshness.Default, VerificationFailure.NotWhatWasAsked),
                2 => ("another policy named as the one asked", (await fixture.Honest.PolicyAsync(owner.Id, "office", proof: true)) with { PolicyId = "home" }, asked, Freshness.Default,
                    VerificationFailure.NotWhatWasAsked),
                3 => ("the policy before the agent was removed, below a height verified", old, asked, new Freshness(TimeSpan.MaxValue, latest.Height), VerificationFailure.BelowVerifiedHeight),
                4 => ("the policy before the agent was removed, older than the bound", old, asked, new Freshness((latestTime - oldTime) / 2, 0, new FakeTimeProvider(latestTime)),
                    VerificationFailure.TooOld),
                _ => ("another height than asked", old, asked with { Height = removed }, Freshness.Default, VerificationFailure.NotWhatWasAsked),
            };
            seen.Add(name);
            var result = ProofVerifier.VerifyPolicy(answer, query, _chain, freshness);
            Assert.False(result.IsValid, $"accepted {name}");
            Assert.Equal(expected, result.Failure);
        }

        Assert.Equal(6, seen.Count);
    }

    [Fact]
    public async Task Freshness_is_the_certified_block_time_against_the_callers_clock()
    {
        var someone = fixture.Owner("fresh");
        await someone.InceptAsync();
        var answer = await fixture.Honest.ResolveAsync(someone.Id, proof: true);
        var query = new IdentityQuery(someone.Id);
        var blockTime = ProofVerifier.VerifyIdentity(answer, query, _chain, NoAgeBound).BlockTime;
        var maxAge = TimeSpan.FromSeconds(30);

        Verification<Dkms.Ledger.State.IdentityState> At(DateTimeOffset now) => ProofVerifier.VerifyIdentity(answer, query, _chain, new Freshness(maxAge, 0, new FakeTimeProvider(now)));
        Assert.True(At(blockTime + maxAge).IsValid);
        Assert.Equal(VerificationFailure.TooOld, At(blockTime + maxAge + TimeSpan.FromMilliseconds(1)).Failure);
        Assert.True(At(blockTime - TimeSpan.FromHours(1)).IsValid); // a clock behind the validators' does not make a block stale
        Assert.Equal(VerificationFailure.BelowVerifiedHeight,
            ProofVerifier.VerifyIdentity(answer, query, _chain, new Freshness(maxAge, answer.Height + 1, new FakeTimeProvider(blockTime))).Failure);
        Assert.True(ProofVerifier.VerifyIdentity(answer, query, _chain, new Freshness(maxAge, answer.Height, new FakeTimeProvider(blockTime))).IsValid);
    }

    [Fact]
    public async Task An_answer_without_a_proof_or_with_a_proof_of_another_record_is_refused()
    {
        var someone = fixture.Owner("noproof");
        await someone.InceptAsync();
        var query = new IdentityQuery(someone.Id);
        var unproven = await fixture.Honest.ResolveAsync(someone.Id);
        Assert.Equal(VerificationFailure.Invalid, ProofVerifier.VerifyIdentity(unproven, query, _chain, Freshness.Default).Failure);

        // The proof of another identity under the answer of this one: the proven key is not the one asked for.
        var other = fixture.Owner("noproof-other");
        await other.InceptAsync();
        var mine = await fixture.Honest.ResolveAsync(someone.Id, proof: true);
        var theirs = await fixture.Honest.ResolveAsync(other.Id, mine.Height, proof: true);
        Assert.Equal(VerificationFailure.NotWhatWasAsked, ProofVerifier.VerifyIdentity(mine with { Proof = theirs.Proof }, query, _chain, Freshness.Default).Failure);

        // An identity that does not exist is proven absent; claiming it absent with a proof of a present one fails.
        var ghost = new IdentityId(UInt128.MaxValue - 15);
        var absent = await fixture.Honest.ResolveAsync(ghost, proof: true);
        var provenAbsent = ProofVerifier.VerifyIdentity(absent, new IdentityQuery(ghost), _chain, Freshness.Default);
        Assert.True(provenAbsent.IsValid, provenAbsent.Error);
        Assert.Null(provenAbsent.Value);
        Assert.False(ProofVerifier.VerifyIdentity(mine with { Identity = null }, query, _chain, Freshness.Default).IsValid);
    }

    private static ulong Between(Random rng, ulong low, ulong high) => (ulong)rng.NextInt64((long)low, (long)high + 1);
}
