namespace Dkms.Storage;

/// <summary>How <see cref="RocksDbStore.Open(string, RocksDbStoreOptions)"/> checks the files it opens.</summary>
public sealed record RocksDbStoreOptions
{
    /// <summary>Reads every block of every table file at open and checks its checksum, so a damaged file is found
    /// before the node serves or signs rather than when a read first touches it. Costs a full read of the store
    /// (docs/node.md, "What the store guarantees"); tests switch it off to reach the read paths with damage in place.</summary>
    public bool VerifyChecksumsAtOpen { get; init; } = true;
}
