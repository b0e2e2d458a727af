using System.Formats.Tar;
using System.IO.Compression;
using Dkms.Client;
using Dkms.Core.Genesis;
using Dkms.Node.Maintenance;
using Dkms.Node.Networking;
using Dkms.Node.Tests.Support;
using Dkms.Rpc;
using Dkms.Storage;

namespace Dkms.Node.Tests.Maintenance;

/// <summary>
/// Issue 19 §3: a data directory written by an earlier layout (tests/testdata/layout3-no-synced-mark.tar.gz, made by commit
/// 601e0a4: layout 3, no synced-write mark) starts on this build — rebuilt from its certified blocks by itself — and
/// serves the state roots and blocks the old build served (recorded in tests/testdata/README.md).
/// </summary>
public sealed class OlderLayoutTests : IDisposable
{
    /// <summary>Height → (state root, block hash) as the old build served them (block.get).</summary>
    private static readonly (string Root, string Hash)[] Served =
    [
        ("4d906decb7c7cec9a340be11ee052767fd566212985cde1ae6f230ef130c3b83", "ba21cd4b60b4ec7e9cd113301e61c7bb2aecb4168b10e3e6602032011d6bf7d9"),
        ("3e45d49f8b86315c0e06bb5d474786f1590edec6eaf13e95f6da3953d79b660f", "1e65b32492a3992b9d7f4e519ffa415e88b488bed8ee926cae7b51d43d913335"),
        ("705a9978b01d06a47b6732dfff1fb565a26ee689bc99d9c85d9f1c4d1155e7ac", "8b04ce98eaeff76865707228d1df3ae2b069183b05bf4c4136252b47ea156093"),
        ("174960b86302f8d49eec3a45ea0f3f956abbbdf24d44ccee5d4de7b2e9020c00", "f344351a4587662343efaf47b2b29001ea60ed2aa6ec33c0a64847e380ec0aca"),
        ("652d29c0a23c9b5195a79673adf7e5b24f7cc64fbc812c5c78ff7d460d0cf50a", "e995a650e66eb14dc27e5ba969d58c2ee44fa92a8ba34c5b8bab62b7d5b51bcc"),
        ("b09b4e4dd7bb059f0e9d5310e3c416bd123fa0ed20008f6c50fa707b1cc78170", "ab3aaeb7be8ba8bba23adad3b0fdbf15e95d793a9aa8655c13c8843d46a6e5d1"),
    ];

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "dkms-older-layout-" + Guid.NewGuid().ToString("N")[..12]);

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task A_data_directory_of_the_layout_before_the_synced_write_mark_starts_and_serves_the_state_roots_the_old_build_served()
    {
        Extract();
        var dataDir = Path.Combine(_dir, "node0", "data");
        var ledger = Path.Combine(dataDir, "ledger");
        // What the build before this one did with it: refused, for want of a mark.
        Assert.Throws<StorageCorruptionException>(() => RocksDbStore.Open(ledger).Dispose());

        var genesis = GenesisDocument.Load(Path.Combine(_dir, "genesis.json"));
        var key = NodeKeyFile.Load(Path.Combine(_dir, "node0", "node_key.json"));
        var settings = new NodeSettings { DataDir = dataDir, RpcListen = "127.0.0.1:0" };

        await using (var host = NodeHost.Create(settings, genesis, key, new InMemoryPeerHub().Join(key.PublicKey), _ => { }))
        {
            await host.StartAsync();
            AssertServesWhatTheOldBuildServed(host);
            // Rebuilt: a mark now, the old store kept aside, and signing held (its consensus record came from a store that
            // cannot show it lost no writes).
            Assert.True(File.Exists(Path.Combine(ledger, StoreLayout.SyncedWriteMarkFile)));
            Assert.Single(Directory.GetDirectories(dataDir, "ledger.before-rebuild-*"));
            Assert.NotNull(host.Node.Consensus.Hold);
            Assert.False(host.Node.Consensus.Hold!.Released);
        }

        // A second start opens the rebuilt store as it is (no second rebuild). A chain of one validator cannot reach the
        // hold's floor without it: the operator releases the hold by hand, and the chain goes on.
        Assert.True(DataDirectoryBackup.ReleaseHold(dataDir));
        await using (var host = NodeHost.Create(settings, genesis, key, new InMemoryPeerHub().Join(key.PublicKey), _ => { }))
        {
            await host.StartAsync();
            Assert.Single(Directory.GetDirectories(dataDir, "ledger.before-rebuild-*"));
            AssertServesWhatTheOldBuildServed(host);
            Assert.Null(host.Node.Consensus.Hold);
            using var client = new DkmsRpcClient(host.RpcEndpoint);
            var answer = await client.SubmitAsync(new TestIdentity("after-the-upgrade", new TransactionBuilder(genesis.ChainId)).Incept(), SubmitModes.Commit, 60_000);
            Assert.Equal(7UL, answer.Height);
        }
    }

    private static void AssertServesWhatTheOldBuildServed(NodeHost host)
    {
        Assert.Equal((ulong)Served.Length, host.Node.Ledger.Height);
        for (var h = 1; h <= Served.Length; h++)
        {
            Assert.Equal(Served[h - 1].Root, host.Node.Ledger.GetHeight((ulong)h)!.StateRoot.ToHex());
            Assert.True(host.Node.Application.TryGetCommitted((ulong)h, out var block, out _));
            Assert.Equal(Served[h - 1].Hash, block.Hash.ToHex());
        }
    }

    private void Extract()
    {
        Directory.CreateDirectory(_dir);
        using var file = File.OpenRead(Fixture());
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        TarFile.ExtractToDirectory(gzip, _dir, overwriteFiles: false);
    }

    private static string Fixture()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "testdata", "layout3-no-synced-mark.tar.gz");
            if (File.Exists(candidate)) return candidate;
        }

        throw new FileNotFoundException("tests/testdata/layout3-no-synced-mark.tar.gz is part of the repository and was not found");
    }
}
