using System.CommandLine;
using System.Text.Json;
using Dkms.Cli.Commands;
using Dkms.Cli.Infrastructure;

namespace Dkms.Cli;

/// <summary>The <c>dkms</c> command line. <see cref="RunAsync"/> is the whole program; <c>Main</c> only calls it.</summary>
public static class CliApp
{
    public static async Task<int> RunAsync(string[] args, CliEnvironment env, CancellationToken ct = default)
    {
        var root = BuildRoot(env);
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0 && args.Contains("--json"))
        {
            // A script that asked for JSON gets the error document every failing command prints, not help text.
            var message = string.Join("; ", parse.Errors.Select(e => e.Message));
            env.Error.WriteLine($"error: {message}");
            env.Out.WriteLine(JsonSerializer.Serialize(new { error = new { exitCode = ExitCodes.Usage, code = "Usage", message } }));
            return ExitCodes.Usage;
        }

        var config = new InvocationConfiguration { Output = env.Out, Error = env.Error, EnableDefaultExceptionHandler = false };
        return await parse.InvokeAsync(config, ct).ConfigureAwait(false);
    }

    internal static RootCommand BuildRoot(CliEnvironment env)
    {
        var globals = new GlobalOptions(env);
        var app = new AppCommands(env, globals);
        var root = new RootCommand("dkms — identities, keys, recovery and agents on a DKMS ledger, with a local encrypted wallet");
        globals.AddTo(root);
        root.Subcommands.Add(ConfigCommands.Build(app));
        root.Subcommands.Add(WalletCommands.Build(app));
        root.Subcommands.Add(IdentityCommands.Build(app));
        root.Subcommands.Add(KeyCommands.Build(app));
        root.Subcommands.Add(PolicyCommands.Build(app));
        root.Subcommands.Add(AgentCommands.Build(app));
        root.Subcommands.Add(RecoveryCommands.Build(app));
        root.Subcommands.Add(ShareCommands.Build(app));
        root.Subcommands.Add(DataCommands.Build(app));
        root.Subcommands.Add(TxCommands.Build(app));
        root.Subcommands.Add(TxCommands.BuildResolve(app));
        return root;
    }
}

/// <summary>What every command group needs to bind its handlers: the environment and the global options.</summary>
internal sealed class AppCommands(CliEnvironment env, GlobalOptions globals)
{
    public CliEnvironment Env { get; } = env;

    public GlobalOptions Globals { get; } = globals;

    /// <summary>Binds <paramref name="handler"/> to <paramref name="command"/>: errors become an exit code and a message, never a stack trace.</summary>
    public Command Bind(Command command, Func<CommandContext, CancellationToken, Task<int>> handler)
    {
        command.SetAction(async (parse, ct) =>
        {
            using var ctx = new CommandContext(Env, Globals, parse);
            try
            {
                return await handler(ctx, ct).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                var (exit, code, message) = Errors.Classify(e);
                Env.Error.WriteLine($"error: {message}");
                if (ctx.Json)
                {
                    Env.Out.WriteLine(JsonSerializer.Serialize(new { error = new { exitCode = exit, code, message } }));
                }

                return exit;
            }
        });
        return command;
    }
}
