using System.CommandLine;

namespace Dkms.Cli.Infrastructure;

/// <summary>The options every command accepts (recursive on the root). Defaults come from the environment.</summary>
internal sealed class GlobalOptions
{
    public const string DefaultNode = "http://127.0.0.1:26657";

    /// <summary>Relative to the working directory: where run-testnet.sh writes it in the repository.</summary>
    public const string DefaultGenesis = "genesis/genesis.json";

    public GlobalOptions(CliEnvironment env)
    {
        // --node and --genesis have no default here: when neither the option nor the variable names one, the chain
        // this CLI was set up for (--config) does, and only then the built-in default (CommandContext).
        Node = new Option<string?>("--node")
        {
            Description = $"Node RPC URL [env DKMS_NODE; else the node of 'dkms config init'; else {DefaultNode}]",
            Recursive = true,
        };
        Wallet = new Option<string>("--wallet")
        {
            Description = "Wallet file [env DKMS_WALLET]",
            Recursive = true,
            DefaultValueFactory = _ => env.GetVariable("DKMS_WALLET") ?? "~/.dkms/wallet.dkms",
        };
        Genesis = new Option<string?>("--genesis")
        {
            Description = $"Genesis file: chain id and validator set [env DKMS_GENESIS; else the copy kept by 'dkms config init'; else {DefaultGenesis}]",
            Recursive = true,
        };
        Config = new Option<string>("--config")
        {
            Description = "The chain this client is set up for, written by 'dkms config init' [env DKMS_CONFIG]",
            Recursive = true,
            DefaultValueFactory = _ => env.GetVariable("DKMS_CONFIG") ?? ChainConfig.DefaultPath,
        };
        MaxAge = new Option<string?>("--max-age")
        {
            Description = $"Seconds a verified answer to a 'latest' question may be old: the proven block's time by this machine's clock (default {DefaultMaxAgeSeconds}) [env DKMS_MAX_AGE]",
            Recursive = true,
            DefaultValueFactory = _ => env.GetVariable("DKMS_MAX_AGE"),
        };
        VerifiedHeights = new Option<string>("--verified-heights")
        {
            Description = "File of the highest height verified per chain; answers below it are refused [env DKMS_VERIFIED_HEIGHTS]",
            Recursive = true,
            DefaultValueFactory = _ => env.GetVariable("DKMS_VERIFIED_HEIGHTS") ?? "~/.dkms/verified-heights.json",
        };
        TrustedValidators = new Option<string>("--trusted-validators")
        {
            Description = "File of the validator sets verified per chain after its genesis; a later run follows changes from there [env DKMS_TRUSTED_VALIDATORS]",
            Recursive = true,
            DefaultValueFactory = _ => env.GetVariable("DKMS_TRUSTED_VALIDATORS") ?? "~/.dkms/trusted-validators.json",
        };
        TrustingPeriod = new Option<string?>("--trusting-period")
        {
            Description = $"Days a verified validator set is relied on to skip later set changes (light-client rule; 0: follow every change one by one; default {DefaultTrustingPeriodDays}) [env DKMS_TRUSTING_PERIOD]",
            Recursive = true,
            DefaultValueFactory = _ => env.GetVariable("DKMS_TRUSTING_PERIOD"),
        };
        RpcCa = new Option<string?>("--rpc-ca")
        {
            Description = "PEM file of the CA (or the node's own certificate) to trust for an https:// node; only it is trusted [env DKMS_RPC_CA]",
            Recursive = true,
            DefaultValueFactory = _ => env.GetVariable("DKMS_RPC_CA"),
        };
        RpcTokenFile = new Option<string?>("--rpc-token-file")
        {
            Description = "File whose first line is the node's RPC token, sent with every request (submissions need it when the node has one) [env DKMS_RPC_TOKEN_FILE]",
            Recursive = true,
            DefaultValueFactory = _ => env.GetVariable("DKMS_RPC_TOKEN_FILE"),
        };
        Json = new Option<bool>("--json") { Description = "Machine-readable JSON output on stdout", Recursive = true };
        PassphraseFile = new Option<string?>("--passphrase-file")
        {
            Description = "Read the wallet passphrase from this file (first line) [else env DKMS_PASSPHRASE, else prompt]",
            Recursive = true,
        };
    }

    public Option<string?> Node { get; }

    public Option<string> Wallet { get; }

    public Option<string?> Genesis { get; }

    public Option<string> Config { get; }

    /// <summary>Five minutes (<see cref="Dkms.Client.Freshness.DefaultMaxAge"/>).</summary>
    public static readonly int DefaultMaxAgeSeconds = (int)Dkms.Client.Freshness.DefaultMaxAge.TotalSeconds;

    public Option<string?> MaxAge { get; }

    public Option<string> VerifiedHeights { get; }

    public Option<string> TrustedValidators { get; }

    public static readonly int DefaultTrustingPeriodDays = (int)Dkms.Client.SkippingRule.DefaultTrustingPeriod.TotalDays;

    public Option<string?> TrustingPeriod { get; }

    public Option<bool> Json { get; }

    public Option<string?> RpcCa { get; }

    public Option<string?> RpcTokenFile { get; }

    public Option<string?> PassphraseFile { get; }

    public void AddTo(Command root)
    {
        root.Options.Add(Node);
        root.Options.Add(Wallet);
        root.Options.Add(Genesis);
        root.Options.Add(Config);
        root.Options.Add(MaxAge);
        root.Options.Add(VerifiedHeights);
        root.Options.Add(TrustedValidators);
        root.Options.Add(TrustingPeriod);
        root.Options.Add(Json);
        root.Options.Add(RpcCa);
        root.Options.Add(RpcTokenFile);
        root.Options.Add(PassphraseFile);
    }
}

/// <summary>Options of commands that submit a transaction.</summary>
internal sealed class SubmitOptions
{
    public Option<bool> NoWait { get; } = new("--no-wait") { Description = "Return once the node has validated the transaction; do not wait for the block" };

    public Option<int> Timeout { get; } = new("--timeout")
    {
        Description = "Seconds to wait for the block (default 30)",
        DefaultValueFactory = _ => 30,
    };

    public Command AddTo(Command command)
    {
        command.Options.Add(NoWait);
        command.Options.Add(Timeout);
        return command;
    }
}
