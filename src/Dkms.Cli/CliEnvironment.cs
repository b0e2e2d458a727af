using Dkms.Cli.Infrastructure;
using Dkms.Client;
using Dkms.Wallet;
using Dkms.Wallet.Storage;

namespace Dkms.Cli;

/// <summary>
/// Everything the CLI takes from its surroundings, so a test runs the real command handlers
/// in-process: output writers, environment variables, where passphrases come from, the current and
/// home directories, how to reach a node, the wallet's Argon2id costs, randomness and the clock.
/// </summary>
public sealed record CliEnvironment
{
    public required TextWriter Out { get; init; }

    public required TextWriter Error { get; init; }

    /// <summary>Environment variable lookup (DKMS_NODE, DKMS_WALLET, DKMS_GENESIS, DKMS_CONFIG, DKMS_MAX_AGE, DKMS_VERIFIED_HEIGHTS, DKMS_PASSPHRASE, DKMS_NEW_PASSPHRASE).</summary>
    public Func<string, string?> GetVariable { get; init; } = _ => null;

    /// <summary>Asks a person for a passphrase when neither a file nor an environment variable gives one.</summary>
    public IPassphraseSource Passphrases { get; init; } = NoPassphraseSource.Instance;

    public required string CurrentDirectory { get; init; }

    /// <summary>Where <c>~</c> points (the default wallet is <c>~/.dkms/wallet.dkms</c>).</summary>
    public required string HomeDirectory { get; init; }

    /// <summary>Makes the RPC client for a node URL; null uses <see cref="DkmsRpcClient"/> over HTTP, behind the check that the
    /// node serves the client's chain (a factory's client skips that check: it is the test's own transport).</summary>
    public Func<Uri, DkmsRpcClient>? ClientFactory { get; init; }

    /// <summary>Argon2id costs of new wallets and new passphrases (tests lower them; opening uses the file's own).</summary>
    public KdfParameters WalletKdf { get; init; } = KdfParameters.Default;

    /// <summary>True when a person watches stderr: progress is drawn as a spinner instead of plain lines.</summary>
    public bool Interactive { get; init; }

    public IRandomSource Random { get; init; } = SystemRandomSource.Instance;

    /// <summary>The time a verifier holds a node's answers against (freshness of proven blocks).</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <summary>The real process: console writers, environment, terminal passphrase prompt.</summary>
    public static CliEnvironment FromProcess() => new()
    {
        Out = Console.Out,
        Error = Console.Error,
        GetVariable = Environment.GetEnvironmentVariable,
        Passphrases = new ConsolePassphraseSource(),
        CurrentDirectory = Directory.GetCurrentDirectory(),
        HomeDirectory = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile),
        Interactive = !Console.IsErrorRedirected,
    };
}
