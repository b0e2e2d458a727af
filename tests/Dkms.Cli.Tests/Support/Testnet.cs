using Dkms.Node.Testing;

namespace Dkms.Cli.Tests.Support;

/// <summary>Four in-process validators shared by the tests of one class, and a temp directory for the people in them.</summary>
public sealed class Testnet : IAsyncLifetime
{
    private readonly TempDir _dir = new();

    public InProcessTestnet Net { get; private set; } = null!;

    public string Directory => _dir.Path;

    public async Task InitializeAsync() => Net = await InProcessTestnet.StartAsync(4);

    public async Task DisposeAsync()
    {
        await Net.DisposeAsync();
        _dir.Dispose();
    }

    /// <summary>A person with their own wallet, talking to node <paramref name="node"/> and trusting the testnet's genesis.</summary>
    public User Person(string name, int node = 0) => new(Directory, Path.Combine(Directory, $"{name}-{Guid.NewGuid():N}.dkms"), new Dictionary<string, string>
    {
        ["DKMS_NODE"] = Net.RpcEndpoints[node].ToString(),
        ["DKMS_GENESIS"] = Net.GenesisPath,
    });

    /// <summary>A person with a wallet and one registered identity; returns its did.</summary>
    public async Task<(User User, string Id)> IdentityAsync(string name, int node = 0, params string[] options)
    {
        var user = Person(name, node);
        (await user.RunAsync("wallet", "create")).Ok();
        var created = await user.JsonAsync(["identity", "create", "--label", name, .. options]);
        return (user, created.GetProperty("id").GetString()!);
    }
}
