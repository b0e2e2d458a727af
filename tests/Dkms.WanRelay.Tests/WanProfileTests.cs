namespace Dkms.WanRelay.Tests;

public sealed class WanProfileTests
{
    private static string Write(string json)
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("dkms-wan-profile-").FullName, "profile.json");
        File.WriteAllText(path, json);
        return path;
    }

    [Fact]
    public void The_profiles_shipped_with_the_relay_load_and_give_half_the_round_trip_each_way()
    {
        var dir = Path.Combine(AppContext.BaseDirectory, "profiles");
        var files = Directory.GetFiles(dir, "*.json");
        Assert.NotEmpty(files);
        foreach (var file in files) WanProfile.Load(file);

        var four = WanProfile.Load(Path.Combine(dir, "four-regions.json"));
        Assert.Equal(40, four.Link(0, 1).DelayMs); // eu-west ↔ us-east: 80 ms round trip
        Assert.Equal(four.Link(0, 1), four.Link(1, 0));
    }

    [Theory]
    [InlineData("""{ "nodeRegions": ["a", "b"], "rttMs": {} }""", "a-b")]
    [InlineData("""{ "nodeRegions": ["a"], "loss": 2 }""", "loss")]
    [InlineData("""{ "nodeRegions": ["a"], "lossy": 0.1 }""", "lossy")]
    [InlineData("""{ "nodeRegions": ["a", "b"], "rttMs": { "a-b": 10 }, "partitions": [ { "atSeconds": 1, "forSeconds": 1, "groups": [["x"]] } ] }""", "\"x\"")]
    [InlineData("""{ "nodeRegions": [] }""", "nodeRegions")]
    public void A_profile_with_a_mistake_is_refused_with_a_message_naming_it(string json, string named)
    {
        var e = Assert.Throws<ProfileException>(() => WanProfile.Load(Write(json)));
        Assert.Contains(named, e.Message);
    }

    [Fact]
    public void A_partition_cuts_only_between_groups_and_only_while_it_lasts()
    {
        var p = new WanProfile
        {
            NodeRegions = ["a", "a", "b", "c"],
            RttMs = new() { ["a-b"] = 10, ["a-c"] = 10, ["b-c"] = 10 },
            Partitions = [new Partition { AtSeconds = 10, ForSeconds = 5, Groups = [["a"], ["b"]] }],
        };

        Assert.False(p.IsCut(0, 2, TimeSpan.FromSeconds(9)));
        Assert.True(p.IsCut(0, 2, TimeSpan.FromSeconds(10)));
        Assert.False(p.IsCut(0, 1, TimeSpan.FromSeconds(12))); // same group
        Assert.True(p.IsCut(2, 3, TimeSpan.FromSeconds(12)));  // "c" is in the implicit last group
        Assert.False(p.IsCut(0, 2, TimeSpan.FromSeconds(15)));
    }
}
