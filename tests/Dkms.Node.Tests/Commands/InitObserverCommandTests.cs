using Dkms.Core.Crypto;
using Dkms.Core.Primitives;
using Dkms.Node.Commands;

namespace Dkms.Node.Tests.Commands;

/// <summary><c>dkms-node init --observer</c>: the node.json it writes is the observer <c>run --config</c> starts — following
/// the validators of the committed set unless <c>--peers-only</c>, which needs a peer.</summary>
public sealed class InitObserverCommandTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "dkms-init-observer-" + Guid.NewGuid().ToString("N")[..12]);
    private readonly string _genesis;
    private readonly string _peer = Ed25519Signer.FromSeed(Hash32.Sha256("init-observer-peer"u8).ToArray()).PublicKey.ToHex() + "@127.0.0.1:26656";

    public InitObserverCommandTests()
    {
        Directory.CreateDirectory(_dir);
        _genesis = Path.Combine(_dir, "genesis.json");
        File.WriteAllText(_genesis, "{}");
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private NodeSettings Init(string name, params string[] more)
    {
        var dataDir = Path.Combine(_dir, name);
        Assert.Equal(0, InitCommand.Run(["--observer", "--data-dir", dataDir, "--genesis", _genesis, "--p2p", "127.0.0.1:27656", .. more], TextWriter.Null));
        var settings = RunCommand.LoadSettings(["--config", Path.Combine(dataDir, "node.json")]);
        NodeSettingsCheck.Validate(settings);
        return settings;
    }

    [Fact]
    public void Without_peers_the_observer_follows_the_validators_of_the_chain()
    {
        var settings = Init("plain");

        Assert.True(settings.Observer.Enabled);
        Assert.Empty(settings.Observer.Peers);
        Assert.True(settings.Observer.FollowValidators);
    }

    [Fact]
    public void Peers_only_writes_an_observer_that_dials_only_its_peers_and_needs_one()
    {
        var settings = Init("tier", "--peers", _peer, "--peers-only");
        Assert.Equal([_peer], settings.Observer.Peers);
        Assert.False(settings.Observer.FollowValidators);

        var e = Assert.Throws<ArgumentException>(() => InitCommand.Run(["--observer", "--data-dir", Path.Combine(_dir, "none"), "--genesis", _genesis, "--peers-only"], TextWriter.Null));
        Assert.Contains("--peers", e.Message, StringComparison.Ordinal);
    }
}
