using System.Text.Json;
using Dkms.Cli.Infrastructure;
using Dkms.Wallet.Storage;

namespace Dkms.Cli.Tests.Support;

/// <summary>What one run of the CLI printed and returned.</summary>
public sealed record CliRun(int ExitCode, string Out, string Error)
{
    public JsonElement Json => JsonDocument.Parse(Out).RootElement;

    public CliRun Ok()
    {
        Assert.True(ExitCode == ExitCodes.Ok, $"exit {ExitCode}\nstdout: {Out}\nstderr: {Error}");
        return this;
    }

    public CliRun Fails(int exitCode)
    {
        Assert.True(ExitCode == exitCode, $"expected exit {exitCode}, got {ExitCode}\nstdout: {Out}\nstderr: {Error}");
        return this;
    }
}

/// <summary>
/// Runs the real CLI in-process (CliApp.RunAsync) in a temp directory, with passphrases from the
/// environment and cheap Argon2id costs. Each person in a story is one <see cref="User"/> with its own wallet.
/// </summary>
public sealed class User(string directory, string wallet, IReadOnlyDictionary<string, string>? variables = null)
{
    public const string Passphrase = "correct horse battery";

    private readonly Dictionary<string, string> _variables = new(variables ?? new Dictionary<string, string>()) { ["DKMS_PASSPHRASE"] = Passphrase };

    public string Directory { get; } = directory;

    public string Wallet { get; } = wallet;

    /// <summary>Where <c>~</c> points; null is <see cref="Directory"/> (a test that changes directories keeps one home).</summary>
    public string? Home { get; set; }

    public IPassphraseSource Passphrases { get; set; } = NoPassphraseSource.Instance;

    /// <summary>This person's clock (what a verifier holds block times against).</summary>
    public TimeProvider Clock { get; set; } = TimeProvider.System;
    /// <summary>How the CLI reaches the node (a lying proxy in attack tests); null is plain HTTP to DKMS_NODE.</summary>
    public Func<Uri, Dkms.Client.DkmsRpcClient>? ClientFactory { get; set; }

    public User With(string name, string value)
    {
        _variables[name] = value;
        return this;
    }

    public User Without(string name)
    {
        _variables.Remove(name);
        return this;
    }

    public async Task<CliRun> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var env = new CliEnvironment
        {
            Out = output,
            Error = error,
            GetVariable = name => _variables.GetValueOrDefault(name),
            Passphrases = Passphrases,
            CurrentDirectory = Directory,
            HomeDirectory = Home ?? Directory,
            WalletKdf = new KdfParameters(1024, 1),
            Clock = Clock,
            ClientFactory = ClientFactory,
        };
        var code = await CliApp.RunAsync([.. args, "--wallet", Wallet], env);
        return new CliRun(code, output.ToString(), error.ToString());
    }

    /// <summary>Runs with --json and returns the parsed output of a successful run.</summary>
    public async Task<JsonElement> JsonAsync(params string[] args) => (await RunAsync([.. args, "--json"])).Ok().Json;
}

/// <summary>A temp directory deleted at the end of the test.</summary>
public sealed class TempDir : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "dkms-cli-" + Guid.NewGuid().ToString("N")[..12]);

    public TempDir() => Directory.CreateDirectory(Path);

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // best effort
        }
    }
}
