using Dkms.Node.Commands;

namespace Dkms.Node;

/// <summary><c>dkms-node</c>: init | run | testnet | show-key | probe | validators | reindex | backup | restore | release-signing-hold (see <c>dkms-node --help</c>).</summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var verb = args.Length > 0 && !args[0].StartsWith('-') ? args[0] : "";
        var rest = verb.Length > 0 ? args[1..] : args;
        if (verb.Length == 0 || rest.Contains("--help") || rest.Contains("-h"))
        {
            Console.Out.Write(Usage.For(verb));
            return verb.Length == 0 && !args.Contains("--help") && !args.Contains("-h") ? 1 : 0;
        }

        try
        {
            return verb switch
            {
                "init" => InitCommand.Run(rest, Console.Out),
                "testnet" => TestnetCommand.Run(rest, Console.Out),
                "show-key" => InitCommand.ShowKey(rest, Console.Out),
                "probe" => await ProbeCommand.RunAsync(rest, Console.Out).ConfigureAwait(false),
                "run" => await RunCommand.RunAsync(rest).ConfigureAwait(false),
                "reindex" => ReindexCommand.Run(rest, Console.Out),
                "backup" => await BackupCommand.BackupAsync(rest, Console.Out).ConfigureAwait(false),
                "restore" => BackupCommand.Restore(rest, Console.Out),
                "release-signing-hold" => BackupCommand.ReleaseHold(rest, Console.Out),
                "validators" => await ValidatorsCommand.RunAsync(rest, Console.Out, Console.Error).ConfigureAwait(false),
                _ => Unknown(verb),
            };
        }
        catch (Exception e) when (e is NodeConfigurationException or Core.Genesis.GenesisException or ArgumentException or IOException or Storage.StorageException)
        {
            Console.Error.WriteLine($"dkms-node {verb}: {e.Message}");
            return 2;
        }
    }

    private static int Unknown(string verb)
    {
        Console.Error.WriteLine($"dkms-node: unknown command '{verb}'");
        Console.Error.Write(Usage.For(""));
        return 1;
    }
}
