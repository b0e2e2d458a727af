using System.CommandLine;
using Dkms.Cli.Infrastructure;
using Dkms.Wallet.Recovery;
using Dkms.Wallet.Storage;

namespace Dkms.Cli.Commands;

/// <summary><c>dkms wallet …</c>: the encrypted wallet file on this machine.</summary>
internal static class WalletCommands
{
    public static Command Build(AppCommands app)
    {
        var wallet = new Command("wallet", "The encrypted wallet file: master secret, identities, key-encrypting keys");

        var create = new Command("create", "Create a wallet with a fresh master secret");
        wallet.Subcommands.Add(app.Bind(create, CreateAsync));

        wallet.Subcommands.Add(app.Bind(new Command("unlock", "Check the passphrase and show what the wallet holds (no secrets)"), UnlockAsync));

        var newFile = new Option<string?>("--new-passphrase-file") { Description = "Read the new passphrase from this file [else env DKMS_NEW_PASSPHRASE, else prompt]" };
        var change = new Command("change-passphrase", "Re-wrap the wallet under a new passphrase") { newFile };
        wallet.Subcommands.Add(app.Bind(change, (ctx, _) => ChangePassphraseAsync(ctx, ctx.Get(newFile))));

        var exportOut = new Option<string>("--out") { Description = "Recovery file to write", Required = true };
        var export = new Command("export-recovery", "Write the master secret to a recovery file and print the recovery key that opens it") { exportOut };
        wallet.Subcommands.Add(app.Bind(export, (ctx, _) => ExportRecoveryAsync(ctx, ctx.Get(exportOut))));

        var restoreFile = new Option<string>("--recovery-file") { Description = "Recovery file written by 'wallet export-recovery'", Required = true };
        var restoreKeyFile = new Option<string?>("--recovery-key-file") { Description = "File holding the recovery key [else env DKMS_RECOVERY_KEY, else prompt]" };
        var restore = new Command("restore", "Create the wallet (--wallet) from a recovery file; then 'dkms identity import' each identity") { restoreFile, restoreKeyFile };
        wallet.Subcommands.Add(app.Bind(restore, (ctx, _) => RestoreAsync(ctx, ctx.Get(restoreFile), ctx.Get(restoreKeyFile))));
        return wallet;
    }

    private static async Task<int> CreateAsync(CommandContext ctx, CancellationToken ct)
    {
        var path = ctx.WalletPath;
        if (File.Exists(path)) throw CliException.Usage($"{path} already exists; give another --wallet path");
        var passphrase = ctx.NewPassphrase(ctx.PassphraseFile, "DKMS_PASSPHRASE");
        using var wallet = await ctx.CreateWalletAsync(path, passphrase).ConfigureAwait(false);
        ctx.Emit(new { wallet = path, created = true }, o =>
        {
            o.WriteLine($"Created wallet {path}");
            o.WriteLine("Back up the master secret now: 'dkms shares split' (SLIP-0039 mnemonics) or 'dkms wallet export-recovery'.");
        });
        return ExitCodes.Ok;
    }

    private static async Task<int> UnlockAsync(CommandContext ctx, CancellationToken ct)
    {
        using var wallet = await ctx.OpenWalletAsync().ConfigureAwait(false);
        var c = wallet.Content;
        ctx.Emit(new
        {
            wallet = wallet.Path,
            identities = c.Identities.Select(i => new { i.Number, i.Label, id = i.IdentityId, i.Rotation, i.LocalOnly, i.RecoveryPending, agents = i.Agents }),
            keks = c.Keks.Select(k => new { k.Name, version = k.CurrentVersion }),
        }, o =>
        {
            o.WriteLine($"Wallet {wallet.Path} unlocked.");
            o.WriteLine($"Identities: {c.Identities.Count}");
            foreach (var i in c.Identities)
            {
                var what = i.LocalOnly ? "agent keys only" : i.IdentityId ?? "not registered";
                o.WriteLine($"  #{i.Number} {i.Label}: {what}{(i.RecoveryPending ? " (recovery pending)" : "")}, rotation {i.Rotation}, agents [{string.Join(", ", i.Agents)}]");
            }

            o.WriteLine($"Key-encrypting keys: {(c.Keks.Count == 0 ? "none" : string.Join(", ", c.Keks.Select(k => $"{k.Name} v{k.CurrentVersion}")))}");
        });
        return ExitCodes.Ok;
    }

    private static async Task<int> ChangePassphraseAsync(CommandContext ctx, string? newFile)
    {
        using var wallet = await ctx.OpenWalletAsync().ConfigureAwait(false);
        var passphrase = ctx.NewPassphrase(newFile, "DKMS_NEW_PASSPHRASE");
        await ctx.ProgressAsync("Re-wrapping under the new passphrase (Argon2id)", () => Task.Run(() =>
        {
            wallet.ChangePassphrase(passphrase, ctx.Env.WalletKdf);
            return true;
        })).ConfigureAwait(false);
        ctx.Emit(new { wallet = wallet.Path, passphraseChanged = true }, o => o.WriteLine($"Passphrase of {wallet.Path} changed."));
        return ExitCodes.Ok;
    }

    private static async Task<int> ExportRecoveryAsync(CommandContext ctx, string output)
    {
        using var wallet = await ctx.OpenWalletAsync().ConfigureAwait(false);
        var path = ctx.ResolvePath(output);
        if (File.Exists(path)) throw CliException.Usage($"{path} already exists");
        var key = RecoveryFile.Create(path, wallet.Master, ctx.Env.Random);
        ctx.Note("The recovery key below opens the recovery file: write it down and keep it apart from the file.");
        ctx.Emit(new { recoveryFile = path, recoveryKey = key }, o =>
        {
            o.WriteLine($"Recovery file: {path}");
            o.WriteLine($"Recovery key:  {key}");
        });
        return ExitCodes.Ok;
    }

    /// <summary>The recovery file is locked with the recovery key, not a passphrase: a failure says so.</summary>
    private static Dkms.Wallet.Keys.MasterSecret OpenRecoveryFile(string path, string name, string key)
    {
        try
        {
            return RecoveryFile.Restore(path, key);
        }
        catch (WalletException e) when (e.Error == WalletError.WrongKeyOrTampered)
        {
            throw new CliException(ExitCodes.WalletLocked,
                $"the recovery key does not open '{name}': a wrong key (64 hex digits, as 'wallet export-recovery' printed it), or the file was altered", "WrongRecoveryKey");
        }
    }

    private static async Task<int> RestoreAsync(CommandContext ctx, string recoveryFile, string? keyFile)
    {
        var file = ctx.ResolvePath(recoveryFile);
        if (!File.Exists(file)) throw CliException.Usage($"recovery file '{recoveryFile}' does not exist");
        var key = (keyFile is not null ? ctx.ReadText(keyFile).Trim() : null)
            ?? ctx.Env.GetVariable("DKMS_RECOVERY_KEY")
            ?? ctx.Env.Passphrases.Read("Recovery key: ")
            ?? throw CliException.Usage("no recovery key: give --recovery-key-file or set DKMS_RECOVERY_KEY");
        using var master = OpenRecoveryFile(file, recoveryFile, key);
        var passphrase = ctx.NewPassphrase(ctx.PassphraseFile, "DKMS_PASSPHRASE");
        using var wallet = await ctx.CreateWalletAsync(ctx.WalletPath, passphrase, master).ConfigureAwait(false);
        ctx.Emit(new { wallet = wallet.Path, restored = true }, o =>
        {
            o.WriteLine($"Restored the master secret into {wallet.Path}.");
            o.WriteLine("Now bring each identity back with 'dkms identity import <did>'.");
        });
        return ExitCodes.Ok;
    }
}
