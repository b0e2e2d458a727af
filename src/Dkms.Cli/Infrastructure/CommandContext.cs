using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Dkms.Client;
using Dkms.Core.Genesis;
using Dkms.Core.Primitives;
using Dkms.Core.Transactions;
using Dkms.Ledger.State;
using Dkms.Rpc;
using Dkms.Wallet.Keys;
using Dkms.Wallet.Storage;
using Spectre.Console;

namespace Dkms.Cli.Infrastructure;

/// <summary>
/// One invocation of a command: its parsed global options resolved against the environment, and the
/// services handlers share — passphrases, the wallet, the node client, submission, output and progress.
/// </summary>
internal sealed class CommandContext(CliEnvironment env, GlobalOptions globals, ParseResult parse) : IDisposable
{
    /// <summary>Ten years: a bound that large is as good as none, and stays far from overflowing a date.</summary>
    private const int MaxMaxAgeSeconds = 315_360_000;

    private static readonly JsonSerializerOptions JsonOut = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private DkmsRpcClient? _client;
    private GenesisDocument? _genesis;
    private VerifiedReader? _verified;
    private VerifiedHeights? _heights;
    private TrustedValidators? _trusted;

    public CliEnvironment Env { get; } = env;

    public ParseResult Parse { get; } = parse;

    public bool Json => Parse.GetValue(globals.Json);

    public TextWriter Out => Env.Out;

    public string WalletPath => ResolvePath(Parse.GetValue(globals.Wallet)!);

    public string? PassphraseFile => Parse.GetValue(globals.PassphraseFile);

    /// <summary>The genesis file: --genesis, else DKMS_GENESIS, else the copy kept at set-up, else genesis/genesis.json here.</summary>
    public string GenesisPath => ExplicitGenesisPath ?? Config?.GenesisFile ?? ResolvePath(GlobalOptions.DefaultGenesis);

    /// <summary>The genesis named on this run (--genesis or DKMS_GENESIS), resolved against the working directory; null when none is.</summary>
    public string? ExplicitGenesisPath => (Parse.GetValue(globals.Genesis) ?? NonEmpty(Env.GetVariable("DKMS_GENESIS"))) is { } p ? ResolvePath(p) : null;

    public string ConfigPath => ResolvePath(Parse.GetValue(globals.Config)!);

    private bool _configRead;
    private ChainConfig? _config;

    /// <summary>The chain this client was set up for (<c>dkms config init</c>); null when it never was.</summary>
    public ChainConfig? Config
    {
        get
        {
            if (!_configRead)
            {
                _config = ChainConfig.Load(ConfigPath);
                _configRead = true;
            }

            return _config;
        }
    }

    public T Get<T>(Option<T> option) => Parse.GetValue(option)!;

    public T Get<T>(Argument<T> argument) => Parse.GetValue(argument)!;

    public Uri NodeUri
    {
        get
        {
            var text = Parse.GetValue(globals.Node) ?? NonEmpty(Env.GetVariable("DKMS_NODE")) ?? Config?.Node ?? GlobalOptions.DefaultNode;
            if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                throw CliException.Usage($"--node '{text}' is not an http(s) URL");
            }

            return uri;
        }
    }

    /// <summary>An absolute path: <c>~</c> is the home directory, relative paths start at the current directory.</summary>
    public string ResolvePath(string path)
    {
        if (path == "~" || path.StartsWith("~/", StringComparison.Ordinal)) path = Path.Combine(Env.HomeDirectory, path.Length > 2 ? path[2..] : "");
        return Path.GetFullPath(Path.Combine(Env.CurrentDirectory, path));
    }

    public string ReadText(string path)
    {
        var full = ResolvePath(path);
        if (!File.Exists(full)) throw CliException.Usage($"file '{path}' does not exist");
        return File.ReadAllText(full);
    }

    // ---- passphrases -------------------------------------------------------------------------

    /// <summary>The wallet passphrase: --passphrase-file, else DKMS_PASSPHRASE, else a prompt.</summary>
    public string UnlockPassphrase() =>
        FromFile(PassphraseFile) ?? NonEmpty(Env.GetVariable("DKMS_PASSPHRASE"))
        ?? Ask("Wallet passphrase: ", confirm: false)
        ?? throw CliException.Usage("no passphrase: give --passphrase-file or set DKMS_PASSPHRASE (no terminal to ask on)");

    /// <summary>A new passphrase: the file or variable named, else a prompt asked twice.</summary>
    public string NewPassphrase(string? file, string variable)
    {
        var passphrase = FromFile(file) ?? NonEmpty(Env.GetVariable(variable)) ?? Ask("New wallet passphrase: ", confirm: true)
            ?? throw CliException.Usage($"no new passphrase: give a passphrase file or set {variable} (no terminal to ask on)");
        if (passphrase.Length < 8) throw CliException.Usage("a wallet passphrase has at least 8 characters");
        return passphrase;
    }

    private string? FromFile(string? file)
    {
        if (file is null) return null;
        var text = ReadText(file);
        var line = text.Split('\n')[0].TrimEnd('\r');
        return line.Length > 0 ? line : throw CliException.Usage($"passphrase file '{file}' is empty");
    }

    private static string? NonEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;

    private string? Ask(string prompt, bool confirm)
    {
        var first = Env.Passphrases.Read(prompt);
        if (first is null || !confirm) return first;
        var second = Env.Passphrases.Read("Repeat the passphrase: ");
        return first == second ? first : throw CliException.Usage("the two passphrases differ");
    }

    // ---- wallet ------------------------------------------------------------------------------

    public async Task<WalletFile> OpenWalletAsync()
    {
        var path = WalletPath;
        if (!File.Exists(path))
        {
            throw new CliException(ExitCodes.WalletLocked, $"no wallet at {path}: create one with 'dkms wallet create' (or give --wallet)", "NoWallet");
        }

        var passphrase = UnlockPassphrase();
        return await ProgressAsync("Unlocking the wallet (Argon2id)", () => Task.Run(() => WalletFile.Open(path, passphrase, Env.Random))).ConfigureAwait(false);
    }

    public async Task<WalletFile> CreateWalletAsync(string path, string passphrase, MasterSecret? master = null)
    {
        if (File.Exists(path)) throw CliException.Usage($"{path} already exists; give another --wallet path");
        Dkms.Wallet.AtomicFile.CreatePrivateDirectory(Path.GetDirectoryName(path)!); // a new ~/.dkms is the owner's alone
        return await ProgressAsync("Creating the wallet (Argon2id)", () => Task.Run(() => WalletFile.Create(path, passphrase, Env.WalletKdf, master, Env.Random))).ConfigureAwait(false);
    }

    // ---- node --------------------------------------------------------------------------------

    public DkmsRpcClient Client => _client ??= Env.ClientFactory?.Invoke(NodeUri) ?? GuardedClient();

    /// <summary>The node's TLS trust and token from <c>--rpc-ca</c> and <c>--rpc-token-file</c>.</summary>
    public RpcConnection RpcConnection => new()
    {
        TrustedCertificatesFile = Parse.GetValue(globals.RpcCa) is { } ca ? ResolvePath(ca) : null,
        TokenFile = Parse.GetValue(globals.RpcTokenFile) is { } token ? ResolvePath(token) : null,
        Timeout = TimeSpan.FromSeconds(120),
    };

    /// <summary>An HTTP client (with the connection's TLS trust and token) whose first request is preceded by the chain
    /// check, when this run knows its chain.</summary>
    private DkmsRpcClient GuardedClient()
    {
        var connection = RpcConnection;
        var sockets = new SocketsHttpHandler();
        connection.ConfigureHandler(sockets);
        HttpMessageHandler handler = sockets;
        if (ExpectedChain() is { } expected) handler = new ChainGuard(expected.ChainId, expected.GenesisHash, expected.From, handler);
        var http = new HttpClient(handler) { BaseAddress = NodeUri, Timeout = connection.Timeout };
        connection.ConfigureClient(http);
        return new DkmsRpcClient(http, ownsHttp: true);
    }

    /// <summary>The chain a node must serve: the genesis named on this run, else the one set up, else genesis/genesis.json
    /// when it is here; null when the run knows no chain (then the node's own chain id is used, as without set-up).</summary>
    private (string ChainId, string? GenesisHash, string From)? ExpectedChain()
    {
        if (ExplicitGenesisPath is { } named) return (Genesis.ChainId, Genesis.ComputeHash().ToHex(), $"the genesis file {named}");
        if (Config is { } config) return (config.ChainId, GenesisHashIfReadable(), $"set up by 'dkms config init', {ConfigPath}");
        return HasGenesis ? (Genesis.ChainId, Genesis.ComputeHash().ToHex(), $"the genesis file {GenesisPath}") : null;
    }

    /// <summary>The set-up genesis's hash, or null when its copy cannot be read now: a command that needs the genesis
    /// says why then; one that does not is still checked by chain id.</summary>
    private string? GenesisHashIfReadable()
    {
        try
        {
            return HasGenesis ? Genesis.ComputeHash().ToHex() : null;
        }
        catch (CliException)
        {
            return null;
        }
    }

    public bool HasGenesis => File.Exists(GenesisPath);

    public GenesisDocument Genesis
    {
        get
        {
            if (_genesis is not null) return _genesis;
            if (!HasGenesis)
            {
                throw CliException.Usage(Config is null
                    ? $"no genesis file at {GenesisPath}: set up once with 'dkms config init --genesis FILE --node URL' (or give --genesis, or set DKMS_GENESIS)"
                    : $"the genesis copy {GenesisPath} kept by 'dkms config init' is gone: set up again with 'dkms config init --genesis FILE --force'");
            }

            try
            {
                if (ExplicitGenesisPath is null && Config is { } config) return _genesis = SetUpGenesis(config);
                return _genesis = GenesisDocument.Load(GenesisPath);
            }
            catch (GenesisException e)
            {
                throw CliException.Usage($"genesis file {GenesisPath}: {e.Message}");
            }
        }
    }

    /// <summary>The chain to sign for: the genesis file's when present, else the node's own.</summary>
    public async Task<string> ChainIdAsync(CancellationToken ct)
    {
        if (HasGenesis) return Genesis.ChainId;
        var status = await Client.NodeStatusAsync(ct).ConfigureAwait(false);
        return status.ChainId;
    }

    /// <summary>The genesis kept at set-up, if it still hashes to what was recorded then; a warning when the file it was
    /// copied from has changed since (a testnet started again: its nodes serve a new chain the copy does not verify).</summary>
    private GenesisDocument SetUpGenesis(ChainConfig config)
    {
        var bytes = File.ReadAllBytes(config.GenesisFile);
        if (ChainConfig.Sha256Of(bytes) != config.GenesisSha256)
        {
            throw CliException.Usage($"the genesis copy {config.GenesisFile} no longer matches the hash recorded at set-up; set up again with 'dkms config init --genesis FILE --force'");
        }

        if (config.GenesisSource is { } source && File.Exists(source) && ChainConfig.Sha256Of(File.ReadAllBytes(source)) != config.GenesisSha256)
        {
            Note($"warning: {source} has changed since 'dkms config init' copied it; this client still trusts the copy. If that chain was started again, "
                + $"set up again: dkms config init --genesis {source} --force");
        }

        return GenesisDocument.Parse(System.Text.Encoding.UTF8.GetString(bytes));
    }

    // ---- verified reads ----------------------------------------------------------------------

    /// <summary>How old a verified answer to a "latest" question may be: --max-age, else DKMS_MAX_AGE, else five minutes.</summary>
    public TimeSpan MaxAge
    {
        get
        {
            var text = Parse.GetValue(globals.MaxAge);
            if (text is null) return TimeSpan.FromSeconds(GlobalOptions.DefaultMaxAgeSeconds);
            return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds is >= 1 and <= MaxMaxAgeSeconds
                ? TimeSpan.FromSeconds(seconds)
                : throw CliException.Usage($"--max-age (or DKMS_MAX_AGE) '{text}' is not a number of seconds in 1..{MaxMaxAgeSeconds}");
        }
    }

    /// <summary>The light-client skipping rule, or null when the trusting period is 0 (follow every change one by one).</summary>
    public SkippingRule? Skipping
    {
        get
        {
            var text = Parse.GetValue(globals.TrustingPeriod);
            if (text is null) return SkippingRule.Default with { Clock = Env.Clock };
            if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var days) || days > MaxTrustingPeriodDays)
            {
                throw CliException.Usage($"--trusting-period (or DKMS_TRUSTING_PERIOD) '{text}' is not a number of days in 0..{MaxTrustingPeriodDays}");
            }

            return days == 0 ? null : new SkippingRule(TimeSpan.FromDays(days), Env.Clock);
        }
    }

    private const int MaxTrustingPeriodDays = 365;

    /// <summary>Reads state through the node but accepts only answers proven against the validators in force at their height
    /// (the genesis set, followed through every certified change), to the question asked, and fresh; starts from (and
    /// records) the highest height and the validator sets this client has verified on this chain.</summary>
    public VerifiedReader Verified
    {
        get
        {
            if (_verified is not null) return _verified;
            var genesis = Genesis;
            var maxAge = MaxAge;
            _heights = new VerifiedHeights(ResolvePath(Parse.GetValue(globals.VerifiedHeights)!));
            _trusted = new TrustedValidators(ResolvePath(Parse.GetValue(globals.TrustedValidators)!));
            var key = VerifiedHeights.ChainKey(genesis);
            TrustedChain chain;
            try
            {
                // The sets an earlier run verified: this run follows changes from the newest of them, never from an older one.
                chain = TrustedChain.FromGenesis(genesis).Resume(_trusted.Get(key));
            }
            catch (ArgumentException e)
            {
                throw CliException.Usage($"the file of trusted validator sets {_trusted.Path} does not continue this chain's genesis ({e.Message}); delete it to follow the changes from the genesis again");
            }

            return _verified = new VerifiedReader(Client, chain, maxAge, Env.Clock, _heights.Get(key)) { Skipping = Skipping };
        }
    }

    /// <summary>The identity's proven state; <paramref name="height"/> null asks for the latest. A failed check is exit code 5.</summary>
    public async Task<Verification<IdentityState>> VerifiedResolveAsync(IdentityId id, ulong? height, CancellationToken ct)
    {
        var reader = Verified;
        try
        {
            var result = await reader.ResolveAsync(id, height, ct).ConfigureAwait(false);
            Remember(reader);
            return result;
        }
        catch (VerificationException e)
        {
            throw NotVerified($"{id}{At(height)}", e);
        }
    }

    /// <summary>The owner's proven policy; <paramref name="height"/> null asks for the latest. A failed check is exit code 5.</summary>
    public async Task<Verification<AgentPolicy>> VerifiedPolicyAsync(IdentityId owner, string policyId, ulong? height, CancellationToken ct)
    {
        var reader = Verified;
        try
        {
            var result = await reader.PolicyAsync(owner, policyId, height, ct).ConfigureAwait(false);
            Remember(reader);
            return result;
        }
        catch (VerificationException e)
        {
            throw NotVerified($"policy '{policyId}' of {owner}{At(height)}", e);
        }
    }

    private static string At(ulong? height) => height is { } h ? $" at height {h}" : "";

    private static CliException NotVerified(string what, VerificationException e) =>
        new(ExitCodes.VerificationFailed, $"the node's answer about {what} does not verify: {e.Message}", e.Failure switch
        {
            VerificationFailure.NotWhatWasAsked => "NotWhatWasAsked",
            VerificationFailure.TooOld => "TooOld",
            VerificationFailure.BelowVerifiedHeight => "BelowVerifiedHeight",
            _ => "ProofInvalid",
        });

    /// <summary>Keeps the highest verified height for later runs; a file that cannot be written only weakens that, so it is a warning.</summary>
    private void Remember(VerifiedReader reader)
    {
        try
        {
            _heights!.Record(VerifiedHeights.ChainKey(Genesis), reader.HighestVerifiedHeight);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Note($"warning: could not record verified height {reader.HighestVerifiedHeight} in {_heights!.Path}: {e.Message}");
        }

        try
        {
            _trusted!.Record(VerifiedHeights.ChainKey(Genesis), reader.Chain);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Note($"warning: could not record the verified validator sets in {_trusted!.Path}: {e.Message}");
        }
    }

    /// <summary>Submits <paramref name="tx"/>: waits for the block unless --no-wait; a rejection throws (exit code 2), and so does a
    /// transaction that is already on the ledger (a request file used twice): it reports where, never that it was just done.</summary>
    public async Task<SubmitResult> SubmitAsync(Transaction tx, SubmitOptions options, CancellationToken ct)
    {
        var noWait = Get(options.NoWait);
        var timeout = Get(options.Timeout);
        if (timeout is < 1 or > 3600) throw CliException.Usage("--timeout is 1..3600 seconds");
        await ThrowIfCommittedAsync(tx, ct).ConfigureAwait(false);
        SubmitResult result;
        try
        {
            result = noWait
                ? await Client.SubmitAsync(tx, SubmitModes.Sync, null, ct).ConfigureAwait(false)
                : await ProgressAsync($"Waiting for {tx.Type} to be committed", () => Client.SubmitAsync(tx, SubmitModes.Commit, timeout * 1000, ct)).ConfigureAwait(false);
        }
        catch (RpcException e) when (e.Code == RpcErrorCodes.CommitTimeout)
        {
            throw new CliException(ExitCodes.NodeUnavailable,
                $"transaction {tx.Hash.ToHex()} was not committed within {timeout} s; it may still commit: check 'dkms tx status {tx.Hash.ToHex()}'", "CommitTimeout");
        }
        catch (RpcException e) when (e.RejectionCode == DuplicateCode)
        {
            // Committed between the check above and the submission (by whoever else holds the same signed transaction).
            await ThrowIfCommittedAsync(tx, ct).ConfigureAwait(false);
            throw;
        }

        if (result.Status == TxStatuses.Rejected)
        {
            if (result.Code == DuplicateCode) await ThrowIfCommittedAsync(tx, ct).ConfigureAwait(false);
            throw new CliException(ExitCodes.Rejected, $"rejected by the ledger: {result.Code}: {result.Message}", result.Code);
        }

        return result;
    }

    private static readonly string DuplicateCode = nameof(ErrorCode.Duplicate);

    private async Task ThrowIfCommittedAsync(Transaction tx, CancellationToken ct)
    {
        var status = await Client.StatusAsync(tx.Hash, ct).ConfigureAwait(false);
        if (status.Status != TxStatuses.Committed) return;
        throw new CliException(ExitCodes.Rejected,
            $"transaction {tx.Hash.ToHex()} ({tx.Type}) is already committed at height {status.Height}, index {status.Index}: it was submitted before, nothing new was done; "
            + "the ledger's state now may differ from what it did then ('dkms resolve')", "AlreadyCommitted");
    }

    // ---- output ------------------------------------------------------------------------------

    /// <summary>Writes the command's result: <paramref name="model"/> as JSON with --json, else the human form.</summary>
    public void Emit(object model, Action<TextWriter> human)
    {
        if (Json) Out.WriteLine(JsonSerializer.Serialize(model, model.GetType(), JsonOut));
        else human(Out);
    }

    /// <summary>A remark for people on stderr (warnings, hints); never part of the result.</summary>
    public void Note(string line) => Env.Error.WriteLine(line);

    /// <summary>Runs a slow step with a spinner on a terminal, or a start and an end line on stderr otherwise.</summary>
    public async Task<T> ProgressAsync<T>(string label, Func<Task<T>> work)
    {
        if (Env.Interactive)
        {
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Env.Error) });
            return await console.Status().StartAsync(Markup.Escape(label) + "…", _ => work()).ConfigureAwait(false);
        }

        var watch = Stopwatch.StartNew();
        Env.Error.WriteLine($"{label}…");
        var result = await work().ConfigureAwait(false);
        Env.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{label}: done in {watch.Elapsed.TotalSeconds:0.0} s"));
        return result;
    }

    public void Dispose() => _client?.Dispose();
}
