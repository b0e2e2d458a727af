using Dkms.Client.Tests.Support;

namespace Dkms.Client.Tests;

/// <summary>
/// A client that trusts the genesis only verifies answers after the validator set changed twice (a validator added, then
/// one removed): it follows the certified changes and checks each answer against the set in force at its height.
/// </summary>
[Collection(FollowingCollection.Name)]
public sealed class ValidatorFollowingTests(FollowingFixture fixture)
{
    [Fact]
    public async Task After_two_changes_a_reader_trusting_the_genesis_verifies_the_latest_answer_and_one_from_before_the_changes()
    {
        var reader = new VerifiedReader(fixture.Honest, fixture.Genesis, TimeSpan.FromMinutes(5));

        var late = await reader.ResolveAsync(fixture.Late.Id);
        Assert.NotNull(late.Value);
        Assert.True(late.Height >= fixture.Changes.InForce);

        var early = await reader.ResolveAsync(fixture.Early.Id, fixture.EarlyHeight);
        Assert.NotNull(early.Value);
        Assert.Equal(fixture.EarlyHeight, early.Height);
    }
}
