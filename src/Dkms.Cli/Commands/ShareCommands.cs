using System.CommandLine;
using System.Security.Cryptography;
using Dkms.Cli.Infrastructure;
using Dkms.Core.Encoding;
using Dkms.Core.Primitives;
using Dkms.Ledger.State;
using Dkms.Wallet;
using Dkms.Wallet.Keys;
using Dkms.Wallet.Recovery;
using Dkms.Wallet.Shamir;
using Dkms.Wallet.Slip39;
using Dkms.Wallet.Storage;

namespace Dkms.Cli.Commands;

/// <summary><c>dkms shares …</c>: the master secret as SLIP-0039 mnemonics, or as shares sealed to trustees.</summary>
internal static class ShareCommands
{
    public static Command Build(AppCommands app)
    {
        var shares = new Command("shares", "Back up the master secret: SLIP-0039 mnemonics, or Shamir shares sealed to trustees");

        var threshold = new Option<int>("--threshold") { Description = "Shares needed to restore", Required = true };
        var count = new Option<int>("--count") { Description = "Shares to make (1..16)", Required = true };
        var outDir = new Option<string?>("--out-dir") { Description = "Also write each mnemonic to its own file here" };
        var splitPassphrase = Slip39PassphraseOption();
        var split = new Command("split", "Print the master secret as SLIP-0039 mnemonic shares (m of n) — this exports the secret") { threshold, count, outDir, splitPassphrase };
        shares.Subcommands.Add(app.Bind(split, (ctx, _) => SplitAsync(ctx, ctx.Get(threshold), ctx.Get(count), ctx.Get(outDir), ctx.Get(splitPassphrase))));

        var mnemonic = new Option<string[]>("--mnemonic") { Description = "A SLIP-0039 mnemonic (repeat)" };
        var mnemonicFile = new Option<string[]>("--mnemonic-file") { Description = "A file holding one mnemonic (repeat)" };
        var sealedFiles = new Option<string[]>("--sealed") { Description = "A share re-sealed to this wallet's request key (repeat)" };
        var owner = new Option<string?>("--owner") { Description = "The identity whose backup this is: the restored secret must derive its signing keys on the ledger (required with --sealed)" };
        var restoreTo = new Option<string?>("--restore-to") { Description = "With --sealed: the new wallet file to create (default --wallet for mnemonics)" };
        var combinePassphrase = Slip39PassphraseOption();
        var newPassphraseFile = new Option<string?>("--new-passphrase-file")
        {
            Description = "The new wallet's passphrase (first line) [else: from mnemonics --passphrase-file / env DKMS_PASSPHRASE; with --sealed env DKMS_NEW_PASSPHRASE; else prompt]",
        };
        var combine = new Command("combine", "Restore the master secret into a new wallet from mnemonics, or from sealed shares") { mnemonic, mnemonicFile, sealedFiles, owner, restoreTo, combinePassphrase, newPassphraseFile };
        shares.Subcommands.Add(app.Bind(combine, (ctx, ct) => CombineAsync(ctx, ctx.Parse.GetValue(mnemonic) ?? [], ctx.Parse.GetValue(mnemonicFile) ?? [],
            ctx.Parse.GetValue(sealedFiles) ?? [], ctx.Get(owner), ctx.Get(restoreTo), ctx.Get(combinePassphrase), ctx.Get(newPassphraseFile), ct)));

        var sealId = IdentityCommands.IdentityOption();
        var trustees = new Option<string[]>("--trustee") { Description = "Trustee identity whose key-agreement key receives one share (repeat)", Required = true };
        var sealThreshold = new Option<int>("--threshold") { Description = "Shares needed to restore", Required = true };
        var sealOut = new Option<string>("--out-dir") { Description = "Directory for the sealed share files", Required = true };
        var seal = new Command("seal", "Split the master secret m of n and seal each share to a trustee's key-agreement key on the ledger") { sealId, trustees, sealThreshold, sealOut };
        shares.Subcommands.Add(app.Bind(seal, (ctx, ct) => SealAsync(ctx, ctx.Get(sealId), ctx.Get(trustees), ctx.Get(sealThreshold), ctx.Get(sealOut), ct)));

        var unsealFile = new Argument<string>("share") { Description = "A sealed share this wallet holds" };
        var to = new Option<string>("--to") { Description = "The requester's key (hex, from 'dkms shares request-key' on their new wallet)", Required = true };
        var unsealOut = new Option<string>("--out") { Description = "The re-sealed share to give the requester", Required = true };
        var unseal = new Command("unseal", "As a trustee: open a share sealed to you and re-seal it to the requester's key (check their identity out of band first)") { unsealFile, to, unsealOut };
        shares.Subcommands.Add(app.Bind(unseal, (ctx, _) => UnsealAsync(ctx, ctx.Get(unsealFile), ctx.Get(to), ctx.Get(unsealOut))));

        shares.Subcommands.Add(app.Bind(new Command("request-key", "Print this wallet's key for receiving re-sealed shares"), (ctx, _) => RequestKeyAsync(ctx)));
        return shares;
    }

    /// <summary>
    /// The SLIP-0039 passphrase encrypts the master secret inside the mnemonics. Every passphrase decrypts to some
    /// secret, so mnemonics made elsewhere with one (a hardware wallet, the reference implementation) restore a
    /// different wallet without it — the reason it can be given here at all.
    /// </summary>
    private static Option<string?> Slip39PassphraseOption() => new("--slip39-passphrase-file")
    {
        Description = "The SLIP-0039 passphrase (printable ASCII, first line of the file) [else env DKMS_SLIP39_PASSPHRASE, else none: the standard's empty passphrase]",
    };

    private static string Slip39Passphrase(CommandContext ctx, string? file)
    {
        var passphrase = file is null
            ? ctx.Env.GetVariable("DKMS_SLIP39_PASSPHRASE") ?? ""
            : ReadSmall(ctx, file, MaxPassphraseFileBytes, "a passphrase").Split('\n')[0].TrimEnd('\r');
        if (!Slip39Shares.IsValidPassphrase(passphrase))
        {
            throw CliException.Usage("a SLIP-0039 passphrase is printable ASCII only (the standard's rule, so every implementation derives the same secret)");
        }

        return passphrase;
    }

    private static async Task<int> SplitAsync(CommandContext ctx, int threshold, int count, string? outDir, string? passphraseFile)
    {
        if (threshold < 1 || threshold > count || count > 16) throw CliException.Usage("need 1 <= --threshold <= --count <= 16");
        if (threshold == 1 && count > 1) throw CliException.Usage("SLIP-0039 needs --threshold >= 2 for more than one share");
        var slip39Passphrase = Slip39Passphrase(ctx, passphraseFile);
        using var wallet = await ctx.OpenWalletAsync().ConfigureAwait(false);
        var secret = wallet.Master.Export();
        IReadOnlyList<string> mnemonics;
        try
        {
            mnemonics = Slip39Shares.Split(secret, 1, [new Slip39Group(threshold, count)], slip39Passphrase, random: ctx.Env.Random)[0];
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }

        if (outDir is not null)
        {
            var dir = ctx.ResolvePath(outDir);
            AtomicFile.CreatePrivateDirectory(dir);
            for (var i = 0; i < mnemonics.Count; i++) AtomicFile.Write(Path.Combine(dir, $"share-{i + 1}.txt"), System.Text.Encoding.UTF8.GetBytes(mnemonics[i] + "\n"));
        }

        ctx.Note(slip39Passphrase.Length > 0
            ? $"These {count} mnemonics and the SLIP-0039 passphrase ARE your master secret: any {threshold} with the passphrase restore every key; without it they restore another wallet. Store them apart, offline."
            : $"These {count} mnemonics ARE your master secret: any {threshold} restore every key. Store them apart, offline.");
        ctx.Emit(new { threshold, count, slip39Passphrase = slip39Passphrase.Length > 0, mnemonics }, o =>
        {
            for (var i = 0; i < mnemonics.Count; i++) o.WriteLine($"share {i + 1}: {mnemonics[i]}");
        });
        return ExitCodes.Ok;
    }

    private static async Task<int> CombineAsync(CommandContext ctx, string[] mnemonics, string[] mnemonicFiles, string[] sealedFiles, string? ownerText, string? restoreTo, string? passphraseFile, string? newPassphraseFile, CancellationToken ct)
    {
        var words = mnemonics.Concat(mnemonicFiles.Select(f => ReadSmall(ctx, f, MaxMnemonicFileBytes, "a mnemonic").Trim())).ToList();
        if ((words.Count > 0) == (sealedFiles.Length > 0)) throw CliException.Usage("give mnemonics (--mnemonic/--mnemonic-file) or sealed shares (--sealed), not both or neither");
        if (sealedFiles.Length > SecretSharing.MaxShares) throw CliException.Usage($"a share set has at most {SecretSharing.MaxShares} shares");
        var owner = ownerText is null ? (IdentityId?)null : WalletSupport.ParseId(ownerText, "owner");
        if (sealedFiles.Length > 0 && passphraseFile is not null) throw CliException.Usage("--slip39-passphrase-file is for mnemonics; sealed shares carry none");
        byte[] secret;
        string target;
        if (words.Count > 0)
        {
            secret = Slip39Shares.Combine(words, Slip39Passphrase(ctx, passphraseFile));
            target = restoreTo is null ? ctx.WalletPath : ctx.ResolvePath(restoreTo);
        }
        else
        {
            if (owner is null || restoreTo is null) throw CliException.Usage("with --sealed give --owner and --restore-to (the new wallet; --wallet is the one holding the request key)");
            target = ctx.ResolvePath(restoreTo);
            var sealedShares = sealedFiles.Select(f => ReadSealed(ctx, f)).ToList();
            using var wallet = await ctx.OpenWalletAsync().ConfigureAwait(false);
            using var key = wallet.Master.KeyAgreement(WalletSupport.RecoveryRequestPath);
            var parts = new List<ShamirShare>();
            try
            {
                foreach (var sealedShare in sealedShares) parts.Add(ShareSealing.Unseal(sealedShare, key, owner.Value.ToString()));
                secret = SecretSharing.Combine(parts);
            }
            finally
            {
                foreach (var p in parts) CryptographicOperations.ZeroMemory(p.Value);
            }
        }

        SigningKeyPath? anchor = null;
        try
        {
            if (secret.Length != MasterSecret.Size) throw new ShareException(ShareError.Inconsistent, $"the shares hold {secret.Length} bytes, not a {MasterSecret.Size}-byte master secret");
            if (File.Exists(target)) throw CliException.Usage($"{target} already exists; give another path");
            using var master = MasterSecret.FromBytes(secret);
            // Shares prove only that they belong together; whose secret they hold is checked against the ledger, before anything is written.
            if (owner is { } id) anchor = await OwnerCheck.RequireOwnersSecretAsync(ctx, id, master, ct).ConfigureAwait(false);
            // With sealed shares --wallet (unlocked by DKMS_PASSPHRASE) is the one holding the request key, so the new wallet's passphrase is the "new" one.
            var passphrase = sealedFiles.Length > 0
                ? ctx.NewPassphrase(newPassphraseFile, "DKMS_NEW_PASSPHRASE")
                : ctx.NewPassphrase(newPassphraseFile ?? ctx.PassphraseFile, "DKMS_PASSPHRASE");
            using var restored = await ctx.CreateWalletAsync(target, passphrase, master).ConfigureAwait(false);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }

        ctx.Emit(new { wallet = target, restored = true, owner = owner?.ToString(), number = anchor?.Identity, rotation = anchor?.Rotation }, o =>
        {
            o.WriteLine($"Restored the master secret into {target}.");
            if (anchor is { } a)
            {
                o.WriteLine($"It is {owner}'s: it derives its signing keys on the ledger (wallet identity #{a.Identity}, rotation {a.Rotation}).");
                o.WriteLine($"Bring the identity back with 'dkms identity import {owner} --number {a.Identity}' (using this wallet).");
            }
            else
            {
                o.WriteLine("Bring each identity back with 'dkms identity import <did>' (using this wallet).");
            }
        });
        return ExitCodes.Ok;
    }

    private static async Task<int> SealAsync(CommandContext ctx, string? selector, string[] trustees, int threshold, string outDir, CancellationToken ct)
    {
        if (trustees.Length < 2 || threshold < 2 || threshold > trustees.Length) throw CliException.Usage("need 2 <= --threshold <= number of --trustee");
        var ids = trustees.Select(t => WalletSupport.ParseId(t, "trustee")).ToArray();
        using var wallet = await ctx.OpenWalletAsync().ConfigureAwait(false);
        var owner = WalletSupport.RequireId(WalletSupport.Select(wallet.Content, selector)).ToString();
        // A share sealed to a key the node chose is a share for whoever holds that key: each trustee's key comes from a
        // proven, fresh answer about exactly that trustee, or nothing is sealed.
        var holders = new List<PublicKey>();
        foreach (var id in ids)
        {
            var proven = await ctx.VerifiedResolveAsync(id, null, ct).ConfigureAwait(false);
            var state = proven.Value ?? throw new CliException(ExitCodes.NotFound, $"trustee {id} does not exist on the ledger (height {proven.Height})", "UnknownIdentity");
            if (state.Status == IdentityStatus.Deactivated) throw CliException.Usage($"trustee {id} is deactivated: its keys are not valid");
            var key = state.KeyAgreementKeys.LastOrDefault(k => k.IsActive)
                ?? throw CliException.Usage($"trustee {id} has no active key-agreement key to seal to");
            holders.Add(key.Key);
        }

        var dir = ctx.ResolvePath(outDir);
        AtomicFile.CreatePrivateDirectory(dir);
        var secret = wallet.Master.Export();
        var files = new List<string>();
        ulong setId;
        try
        {
            var parts = SecretSharing.Split(secret, threshold, ids.Length, ctx.Env.Random);
            setId = parts[0].SetId;
            for (var i = 0; i < parts.Count; i++)
            {
                var sealedShare = ShareSealing.Seal(parts[i], owner, holders[i], ctx.Env.Random);
                CryptographicOperations.ZeroMemory(parts[i].Value);
                var file = Path.Combine(dir, $"share-{i + 1}-{ids[i].ToString()[IdentityId.Prefix.Length..]}.sealed");
                AtomicFile.Write(file, Codec.Encode(sealedShare));
                files.Add(file);
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }

        // The set id is 64 bits: a string, so clients whose JSON numbers are doubles (JavaScript) keep it exact.
        ctx.Emit(new { owner, threshold, shareSetId = ShareSetIdText(setId), shares = files.Select((f, i) => new { trustee = ids[i].ToString(), file = f }) }, o =>
        {
            o.WriteLine($"Sealed {ids.Length} shares of the master secret (any {threshold} restore it):");
            for (var i = 0; i < files.Count; i++) o.WriteLine($"  {files[i]} -> {ids[i]}");
            o.WriteLine("Hand each file to its trustee; only that trustee's key-agreement key opens it.");
        });
        return ExitCodes.Ok;
    }

    private static async Task<int> UnsealAsync(CommandContext ctx, string file, string toHex, string output)
    {
        if (toHex.Length != 64 || !toHex.All(Uri.IsHexDigit)) throw CliException.Usage("--to is a public key (64 hex digits)");
        var requester = PublicKey.ParseHex(toHex);
        var sealedShare = ReadSealed(ctx, file);
        using var wallet = await ctx.OpenWalletAsync().ConfigureAwait(false);
        using var holder = FindHolder(wallet, sealedShare.Holder)
            ?? throw new CliException(ExitCodes.VerificationFailed, $"this wallet holds no key-agreement key {sealedShare.Holder}: the share is sealed to someone else", "ForeignShare");
        var resealed = ShareSealing.Reseal(sealedShare, holder, requester, ctx.Env.Random);
        var path = ctx.ResolvePath(output);
        AtomicFile.Write(path, Codec.Encode(resealed));
        ctx.Emit(new { owner = resealed.Owner, shareSetId = ShareSetIdText(resealed.ShareSetId), share = resealed.ShareIndex + 1, to = toHex, file = path }, o =>
            o.WriteLine($"Re-sealed share {resealed.ShareIndex + 1} of {resealed.Owner} to {toHex}: {path}"));
        return ExitCodes.Ok;
    }

    private static async Task<int> RequestKeyAsync(CommandContext ctx)
    {
        using var wallet = await ctx.OpenWalletAsync().ConfigureAwait(false);
        using var key = wallet.Master.KeyAgreement(WalletSupport.RecoveryRequestPath);
        ctx.Emit(new { requestKey = key.PublicKey.ToHex() }, o => o.WriteLine(key.PublicKey.ToHex()));
        return ExitCodes.Ok;
    }

    /// <summary>A share set id as JSON carries it: 16 hex digits, as the share's own label writes it.</summary>
    private static string ShareSetIdText(ulong setId) => setId.ToString("x16", System.Globalization.CultureInfo.InvariantCulture);

    private static X25519KeyPair? FindHolder(WalletFile wallet, PublicKey holder)
    {
        foreach (var entry in wallet.Content.Identities)
        {
            for (var i = 0; i <= entry.KeyAgreementIndex; i++)
            {
                var pair = wallet.Master.KeyAgreementKey(entry.Number, i);
                if (pair.PublicKey == holder) return pair;
                pair.Dispose();
            }
        }

        return null;
    }

    /// <summary>A sealed share is a few hundred bytes; a larger file is refused before it is read.</summary>
    private const int MaxSealedFileBytes = 4096;

    /// <summary>A passphrase is one line.</summary>
    private const int MaxPassphraseFileBytes = 4096;

    /// <summary>A mnemonic is a few hundred characters.</summary>
    private const int MaxMnemonicFileBytes = 16384;

    private static SealedShare ReadSealed(CommandContext ctx, string file) =>
        Codec.TryDecode<SealedShare>(ReadBounded(ctx, file, MaxSealedFileBytes, "a sealed share"), out var share, out var error) && share is not null
            ? share
            : throw CliException.Usage($"'{file}' is not a sealed share: {error}");

    private static string ReadSmall(CommandContext ctx, string file, int maxBytes, string what) =>
        System.Text.Encoding.UTF8.GetString(ReadBounded(ctx, file, maxBytes, what));

    /// <summary>A file's bytes, refused unread when it is larger than anything genuine of its kind.</summary>
    private static byte[] ReadBounded(CommandContext ctx, string file, int maxBytes, string what)
    {
        var path = ctx.ResolvePath(file);
        var info = new FileInfo(path);
        if (!info.Exists) throw CliException.Usage($"file '{file}' does not exist");
        if (info.Length > maxBytes) throw CliException.Usage($"'{file}' is {info.Length} bytes: too large for {what} (at most {maxBytes})");
        return File.ReadAllBytes(path);
    }
}
