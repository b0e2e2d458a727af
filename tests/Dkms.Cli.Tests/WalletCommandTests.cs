using Dkms.Cli.Infrastructure;
using Dkms.Cli.Tests.Support;
using Dkms.Wallet.Storage;

namespace Dkms.Cli.Tests;

/// <summary>Commands that need no node: the wallet file, passphrase sources, exit codes of wallet errors.</summary>
public sealed class WalletCommandTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly User _cli;

    public WalletCommandTests() => _cli = new User(_dir.Path, _dir.File("w.dkms"));

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Create_then_unlock_shows_the_wallet_and_never_the_secret_or_passphrase()
    {
        var created = (await _cli.RunAsync("wallet", "create")).Ok();
        Assert.Contains("Created wallet", created.Out);
        Assert.Contains("Argon2id", created.Error); // progress of the slow step

        var unlocked = await _cli.RunAsync("wallet", "unlock", "--json");
        unlocked.Ok();
        using var wallet = WalletFile.Open(_cli.Wallet, User.Passphrase);
        var secret = wallet.Master.Export();
        foreach (var text in new[] { created.Out, created.Error, unlocked.Out, unlocked.Error })
        {
            Assert.DoesNotContain(User.Passphrase, text);
            Assert.DoesNotContain(Convert.ToHexStringLower(secret), text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(Convert.ToBase64String(secret), text);
        }
    }

    [Fact]
    public async Task A_wrong_passphrase_exits_4_and_a_missing_wallet_exits_4()
    {
        await _cli.RunAsync("wallet", "create");
        var wrong = (await _cli.With("DKMS_PASSPHRASE", "not the passphrase").RunAsync("wallet", "unlock")).Fails(ExitCodes.WalletLocked);
        Assert.Contains("wrong passphrase", wrong.Error);

        var missing = (await new User(_dir.Path, _dir.File("none.dkms")).RunAsync("wallet", "unlock")).Fails(ExitCodes.WalletLocked);
        Assert.Contains("dkms wallet create", missing.Error);
    }

    [Fact]
    public async Task A_tampered_wallet_exits_4()
    {
        await _cli.RunAsync("wallet", "create");
        var bytes = await File.ReadAllBytesAsync(_cli.Wallet);
        bytes[^1] ^= 1;
        await File.WriteAllBytesAsync(_cli.Wallet, bytes);
        var run = (await _cli.RunAsync("wallet", "unlock", "--json")).Fails(ExitCodes.WalletLocked);
        Assert.Equal("Tampered", run.Json.GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task Creating_over_an_existing_wallet_is_refused()
    {
        await _cli.RunAsync("wallet", "create");
        (await _cli.RunAsync("wallet", "create")).Fails(ExitCodes.Usage);
    }

    [Fact]
    public async Task The_passphrase_comes_from_a_file_before_the_environment()
    {
        await File.WriteAllTextAsync(_dir.File("pass.txt"), "from a file 123\n");
        (await _cli.RunAsync("wallet", "create", "--passphrase-file", "pass.txt")).Ok();
        WalletFile.Open(_cli.Wallet, "from a file 123").Dispose();
        (await _cli.RunAsync("wallet", "unlock")).Fails(ExitCodes.WalletLocked); // DKMS_PASSPHRASE is another one
        (await _cli.RunAsync("wallet", "unlock", "--passphrase-file", "pass.txt")).Ok();
    }

    [Fact]
    public async Task Without_file_or_variable_the_passphrase_is_asked_twice_for_a_new_wallet()
    {
        var prompt = new ScriptedPassphraseSource("typed passphrase", "typed passphrase");
        var cli = new User(_dir.Path, _dir.File("p.dkms")).Without("DKMS_PASSPHRASE");
        cli.Passphrases = prompt;
        (await cli.RunAsync("wallet", "create")).Ok();
        Assert.Equal(2, prompt.Prompts.Count);

        cli.Passphrases = new ScriptedPassphraseSource("typed passphrase", "different");
        (await new User(_dir.Path, _dir.File("q.dkms")) { Passphrases = cli.Passphrases }.Without("DKMS_PASSPHRASE").RunAsync("wallet", "create")).Fails(ExitCodes.Usage);

        var nobody = (await new User(_dir.Path, _dir.File("p.dkms")).Without("DKMS_PASSPHRASE").RunAsync("wallet", "unlock")).Fails(ExitCodes.Usage);
        Assert.Contains("DKMS_PASSPHRASE", nobody.Error);
    }

    [Fact]
    public async Task Change_passphrase_makes_the_old_one_fail_and_the_new_one_open()
    {
        await _cli.RunAsync("wallet", "create");
        (await _cli.With("DKMS_NEW_PASSPHRASE", "the new passphrase").RunAsync("wallet", "change-passphrase")).Ok();
        (await _cli.RunAsync("wallet", "unlock")).Fails(ExitCodes.WalletLocked);
        (await _cli.With("DKMS_PASSPHRASE", "the new passphrase").RunAsync("wallet", "unlock")).Ok();
    }

    [Fact]
    public async Task A_recovery_file_restores_the_same_master_secret()
    {
        await _cli.RunAsync("wallet", "create");
        var export = await _cli.JsonAsync("wallet", "export-recovery", "--out", "backup.rec");
        var key = export.GetProperty("recoveryKey").GetString()!;
        var restored = new User(_dir.Path, _dir.File("restored.dkms")).With("DKMS_RECOVERY_KEY", key);
        (await restored.RunAsync("wallet", "restore", "--recovery-file", "backup.rec")).Ok();
        Assert.Equal(Master(_cli.Wallet), Master(restored.Wallet));

        var wrongKey = new User(_dir.Path, _dir.File("x.dkms")).With("DKMS_RECOVERY_KEY", new string('0', 64));
        var wrong = (await wrongKey.RunAsync("wallet", "restore", "--recovery-file", "backup.rec", "--json")).Fails(ExitCodes.WalletLocked);
        // A wrong recovery key is named as such: the user typed no passphrase here.
        Assert.Equal("WrongRecoveryKey", wrong.Json.GetProperty("error").GetProperty("code").GetString());
        Assert.DoesNotContain("passphrase", wrong.Error, StringComparison.OrdinalIgnoreCase);
        Assert.False(File.Exists(wrongKey.Wallet));

        // The key can also come from a file (--recovery-key-file), as the guide says.
        await File.WriteAllTextAsync(_dir.File("rec.key"), key + "\n");
        var fromFile = new User(_dir.Path, _dir.File("from-file.dkms")).Without("DKMS_RECOVERY_KEY");
        (await fromFile.RunAsync("wallet", "restore", "--recovery-file", "backup.rec", "--recovery-key-file", "rec.key")).Ok();
        Assert.Equal(Master(_cli.Wallet), Master(fromFile.Wallet));
    }

    [Fact]
    public async Task Slip39_mnemonics_restore_the_same_master_secret_and_too_few_are_refused()
    {
        await _cli.RunAsync("wallet", "create");
        var split = await _cli.JsonAsync("shares", "split", "--threshold", "2", "--count", "3");
        var words = split.GetProperty("mnemonics").EnumerateArray().Select(m => m.GetString()!).ToArray();
        Assert.Equal(3, words.Length);

        var restored = new User(_dir.Path, _dir.File("restored.dkms"));
        (await restored.RunAsync("shares", "combine", "--mnemonic", words[0], "--mnemonic", words[2])).Ok();
        Assert.Equal(Master(_cli.Wallet), Master(restored.Wallet));

        (await new User(_dir.Path, _dir.File("few.dkms")).RunAsync("shares", "combine", "--mnemonic", words[1])).Fails(ExitCodes.VerificationFailed);
        Assert.False(File.Exists(_dir.File("few.dkms")));
    }

    [Fact]
    public async Task Data_round_trips_and_rewrap_keeps_the_ciphertext_readable()
    {
        await _cli.RunAsync("wallet", "create");
        await File.WriteAllTextAsync(_dir.File("secret.txt"), "the plans");
        (await _cli.RunAsync("data", "encrypt", "--in", "secret.txt", "--out", "secret.env", "--context", "plans")).Ok();
        (await _cli.RunAsync("data", "rewrap", "secret.env", "--rotate")).Ok();
        var json = await _cli.JsonAsync("data", "decrypt", "--in", "secret.env", "--out", "plain.txt", "--context", "plans");
        Assert.Equal(2, json.GetProperty("version").GetInt32());
        Assert.Equal("the plans", await File.ReadAllTextAsync(_dir.File("plain.txt")));

        (await _cli.RunAsync("data", "decrypt", "--in", "secret.env", "--out", "x.txt", "--context", "other")).Fails(ExitCodes.VerificationFailed);
        var bytes = await File.ReadAllBytesAsync(_dir.File("secret.env"));
        bytes[^1] ^= 1;
        await File.WriteAllBytesAsync(_dir.File("secret.env"), bytes);
        (await _cli.RunAsync("data", "decrypt", "--in", "secret.env", "--out", "x.txt", "--context", "plans")).Fails(ExitCodes.VerificationFailed);
    }

    [Fact]
    public async Task Usage_errors_exit_1()
    {
        (await _cli.RunAsync("no-such-command")).Fails(ExitCodes.Usage);
        (await _cli.RunAsync("tx", "status", "xyz")).Fails(ExitCodes.Usage);
        (await _cli.RunAsync("policy", "show")).Fails(ExitCodes.Usage); // --policy is required
    }

    [Theory]
    [InlineData("no-such-command", "--json")]
    [InlineData("wallet", "no-such-subcommand", "--json")]
    [InlineData("identity", "create", "--no-such-option", "--json")]
    [InlineData("policy", "show", "--json")]
    public async Task Usage_errors_with_json_print_a_json_error_not_help(params string[] args)
    {
        var run = (await _cli.RunAsync(args)).Fails(ExitCodes.Usage);
        var error = run.Json.GetProperty("error");
        Assert.Equal(ExitCodes.Usage, error.GetProperty("exitCode").GetInt32());
        Assert.Equal("Usage", error.GetProperty("code").GetString());
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
    }

    [Fact]
    public async Task Shares_combine_takes_the_new_wallets_passphrase_from_new_passphrase_file()
    {
        await _cli.RunAsync("wallet", "create");
        var split = await _cli.JsonAsync("shares", "split", "--threshold", "2", "--count", "2");
        var words = split.GetProperty("mnemonics").EnumerateArray().Select(m => m.GetString()!).ToArray();
        await File.WriteAllTextAsync(_dir.File("new.pass"), "another good passphrase\n");
        var restored = new User(_dir.Path, _dir.File("restored.dkms"));
        (await restored.RunAsync("shares", "combine", "--mnemonic", words[0], "--mnemonic", words[1], "--new-passphrase-file", "new.pass")).Ok();
        using var wallet = WalletFile.Open(restored.Wallet, "another good passphrase");
        Assert.Equal(Master(_cli.Wallet), Convert.ToHexString(wallet.Master.Export()));
    }

    [Fact]
    public async Task An_unreachable_node_exits_3_with_a_clear_message()
    {
        await _cli.RunAsync("wallet", "create");
        var cli = _cli.With("DKMS_NODE", "http://127.0.0.1:9");
        var resolve = (await cli.RunAsync("resolve", new Dkms.Core.Primitives.IdentityId(UInt128.One).ToString())).Fails(ExitCodes.NodeUnavailable);
        Assert.Contains("cannot reach the node", resolve.Error);
        var create = (await cli.RunAsync("identity", "create", "--label", "a", "--json")).Fails(ExitCodes.NodeUnavailable);
        Assert.Equal("NodeUnreachable", create.Json.GetProperty("error").GetProperty("code").GetString());
        // nothing was recorded for an identity that never reached the ledger
        using var wallet = WalletFile.Open(cli.Wallet, User.Passphrase);
        Assert.Empty(wallet.Content.Identities);
    }

    [Fact]
    public async Task Wallet_recovery_share_and_decrypted_files_are_created_owner_only()
    {
        if (OperatingSystem.IsWindows()) return; // POSIX permissions; Windows files inherit the folder's ACL
        var cli = new User(_dir.Path, _dir.File("private/new/w.dkms"));
        (await cli.RunAsync("wallet", "create")).Ok();
        (await cli.RunAsync("wallet", "export-recovery", "--out", "backup.rec")).Ok();
        var split = await cli.JsonAsync("shares", "split", "--threshold", "2", "--count", "2", "--out-dir", "paper/shares");
        var words = split.GetProperty("mnemonics").EnumerateArray().Select(m => m.GetString()!).ToArray();
        (await new User(_dir.Path, _dir.File("restored.dkms")).RunAsync("shares", "combine", "--mnemonic", words[0], "--mnemonic", words[1])).Ok();
        await File.WriteAllTextAsync(_dir.File("plans.txt"), "the plans");
        (await cli.RunAsync("data", "encrypt", "--in", "plans.txt", "--out", "plans.env")).Ok();
        (await cli.RunAsync("data", "decrypt", "--in", "plans.env", "--out", "plans.out")).Ok();

        foreach (var file in new[] { "private/new/w.dkms", "backup.rec", "paper/shares/share-1.txt", "paper/shares/share-2.txt", "restored.dkms", "plans.env", "plans.out" })
        {
            Assert.True(File.GetUnixFileMode(_dir.File(file)) == (UnixFileMode.UserRead | UnixFileMode.UserWrite), $"{file} is {File.GetUnixFileMode(_dir.File(file))}");
        }

        foreach (var dir in new[] { "private/new", "paper/shares" })
        {
            Assert.True(File.GetUnixFileMode(_dir.File(dir)) == (UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute), $"{dir} is {File.GetUnixFileMode(_dir.File(dir))}");
        }
    }

    private static string Master(string path)
    {
        using var wallet = WalletFile.Open(path, User.Passphrase);
        return Convert.ToHexString(wallet.Master.Export());
    }
}
