namespace Dkms.Storage.Tests;

public class StoreLayoutTests
{
    [Fact]
    public void No_two_regions_of_the_ledger_store_share_keys()
    {
        foreach (var a in StoreLayout.Regions)
        {
            foreach (var b in StoreLayout.Regions.Where(r => r != a))
            {
                Assert.False(a.Prefix.AsSpan().StartsWith(b.Prefix), $"{a.Name} lies inside {b.Name}");
            }
        }
    }

    [Fact]
    public void The_node_records_and_metadata_keys_lie_in_their_regions()
    {
        Assert.Equal(StoreLayout.Kind.NodeOwned, StoreLayout.RegionOf(StoreLayout.ChainIdKey)!.Kind);
        Assert.Equal(StoreLayout.Kind.NodeOwned, StoreLayout.RegionOf(StoreLayout.ConsensusRecordKey)!.Kind);
        Assert.Equal(StoreLayout.Kind.NodeOwned, StoreLayout.RegionOf([.. StoreLayout.ConsensusBlockPrefix, 1, 2])!.Kind);
        Assert.Equal("metadata", StoreLayout.RegionOf(StoreLayout.LayoutKey)!.Name);
        Assert.Equal("metadata", StoreLayout.RegionOf(StoreLayout.SigningHoldKey)!.Name);
        Assert.Equal(StoreLayout.Kind.SourceOfTruth, StoreLayout.RegionOf(StoreLayout.HeightKey(StoreLayout.Blocks, 7))!.Kind);
        Assert.Null(StoreLayout.RegionOf("z"u8));
    }
}
