using System.CommandLine;
using Dkms.Cli.Infrastructure;
using Dkms.Client;
using Dkms.Core.Transactions;
using Dkms.Ledger.State;
using Dkms.Rpc;
using Dkms.Wallet.Storage;

namespace Dkms.Cli.Commands;

/// <summary><c>dkms identity …</c>: register, inspect, rotate, deactivate and re-import identities.</summary>
internal static class IdentityCommands
{
    /// <summary>The --identity option of commands acting on one of the wallet's identities.</summary>
    public static Option<string?> IdentityOption() => new("--identity", "-i")
    {
        Description = "The wallet identity to act as: label, did or number (default: the only one)",
    };

    public static Command Build(AppCommands app)
    {
        var identity = new Command("identity", "Identities on the ledger: create, show, rotate, deactivate, import");

        var label = new Option<string>("--label") { Description = "A name for this identity in the wallet", DefaultValueFactory = _ => "main" };
        var keys = new Option<int>("--keys") { Description = "Number of signing keys (1..16)", DefaultValueFactory = _ => 1 };
        var threshold = new Option<int>("--threshold") { Description = "Signatures required (m of --keys)", DefaultValueFactory = _ => 1 };
        var nextKeys = new Option<int?>("--next-keys") { Description = "Number of pre-rotated next keys (default --keys)" };
        var nextThreshold = new Option<int?>("--next-threshold") { Description = "Threshold of the next keys (default --threshold)" };
        var noKa = new Option<bool>("--no-key-agreement") { Description = "Publish no X25519 key-agreement key" };
        var trustees = new Option<string[]>("--trustee") { Description = "Recovery trustee identity (repeat; at least 2)", AllowMultipleArgumentsPerToken = false };
        var recoveryThreshold = new Option<int>("--recovery-threshold") { Description = "Trustees needed to start a recovery", DefaultValueFactory = _ => 2 };
        var delay = new Option<ulong>("--recovery-delay") { Description = "Seconds a recovery waits before it can be finalized", DefaultValueFactory = _ => 86400 };
        var createSubmit = new SubmitOptions();
        var create = createSubmit.AddTo(new Command("create", "Register a new identity: signing keys, pre-rotated next keys, a key-agreement key")
        {
            label, keys, threshold, nextKeys, nextThreshold, noKa, trustees, recoveryThreshold, delay,
        });
        identity.Subcommands.Add(app.Bind(create, (ctx, ct) => CreateAsync(ctx, new CreateArgs(
            ctx.Get(label), ctx.Get(keys), ctx.Get(threshold), ctx.Get(nextKeys), ctx.Get(nextThreshold), !ctx.Get(noKa),
            ctx.Parse.GetValue(trustees) ?? [], ctx.Get(recoveryThreshold), ctx.Get(delay)), createSubmit, ct)));

        var showId = IdentityOption();
        var offline = new Option<bool>("--offline") { Description = "Show only what the wallet knows; do not ask the node" };
        var show = new Command("show", "Show an identity of the wallet and its state on the ledger") { showId, offline };
        identity.Subcommands.Add(app.Bind(show, (ctx, ct) => ShowAsync(ctx, ctx.Get(showId), ctx.Get(offline), ct)));

        var rotId = IdentityOption();
        var rotNext = new Option<int?>("--next-keys") { Description = "Number of keys to pre-commit for the rotation after this one (default: unchanged)" };
        var rotNextThreshold = new Option<int?>("--next-threshold") { Description = "Their threshold (default: unchanged)" };
        var rotSubmit = new SubmitOptions();
        var rotate = rotSubmit.AddTo(new Command("rotate", "Rotate to the pre-rotated next keys and commit to new next keys") { rotId, rotNext, rotNextThreshold });
        identity.Subcommands.Add(app.Bind(rotate, (ctx, ct) => RotateAsync(ctx, ctx.Get(rotId), ctx.Get(rotNext), ctx.Get(rotNextThreshold), rotSubmit, ct)));

        var deId = IdentityOption();
        var yes = new Option<bool>("--yes") { Description = "Confirm: deactivation is permanent" };
        var deSubmit = new SubmitOptions();
        var deactivate = deSubmit.AddTo(new Command("deactivate", "Deactivate an identity for good (signed by the pre-rotated next keys)") { deId, yes });
        identity.Subcommands.Add(app.Bind(deactivate, (ctx, ct) => DeactivateAsync(ctx, ctx.Get(deId), ctx.Get(yes), deSubmit, ct)));

        var importDid = new Argument<string>("did") { Description = "The identity to bring into this wallet" };
        var importLabel = new Option<string?>("--label") { Description = "Its name in the wallet (default: keep, or 'imported')" };
        var importNumber = new Option<int?>("--number") { Description = "Its number in the key paths, if known (default: search 0..15)" };
        var import = new Command("import", "Find an identity's keys in this wallet's master secret (after a restore) and record its state") { importDid, importLabel, importNumber };
        identity.Subcommands.Add(app.Bind(import, (ctx, ct) => ImportAsync(ctx, ctx.Get(importDid), ctx.Get(importLabel), ctx.Get(importNumber), ct)));

        identity.Subcommands.Add(app.Bind(new Command("list", "List the wallet's identities"), ListAsync));
        return identity;
    }

    internal sealed record CreateArgs(string Label, int Keys, int Threshold, int? NextKeys, int? NextThreshold, bool KeyAgreement,
        string[] Trustees, int RecoveryThreshold, ulong RecoveryDelay);

    internal static async Task<int> CreateAsync(CommandContext ctx, CreateArgs a, SubmitOptions submit, CancellationToken ct)
    {
        var nextKeys = a.NextKeys ?? a.Keys;
        var nextThreshold = a.NextThreshold ?? Math.Min(a.Threshold, nextKeys);
        if (a.Keys is < 1 or > Limits.MaxSigningKeys || a.Threshold < 1 || a.Threshold > a.Keys) throw CliException.Usage("need 1 <= --threshold <= --keys <= 16");
        if (nextKeys is < 1 or > Limits.MaxSigningKeys || nextThreshold < 1 || nextThreshold > nextKeys) throw CliException.Usage("need 1 <= --next-threshold <= --next-keys <= 16");
        RecoveryPolicy? recovery = null;
        if (a.Trustees.Length > 0)
        {
            recovery = new RecoveryPolicy([.. a.Trustees.Select(t => WalletSupport.ParseId(t, "trustee"))], a.RecoveryThreshold, a.RecoveryDelay);
        }

        using var wallet = await ctx.OpenWalletAsync().ConfigureAwait(false);
        if (wallet.Content.Identities.Any(i => i.Label == a.Label)) throw CliException.Usage($"the wallet already has an identity labelled '{a.Label}'");
        var chainId = await ctx.ChainIdAsync(ct).ConfigureAwait(false);
        var entry = wallet.Content.AddIdentity(a.Label, a.Keys, a.Threshold);
        entry.NextKeyCount = nextKeys;
        entry.NextThreshold = nextThreshold;
        entry.ChainId = chainId;
        var set = wallet.Master.RotationKeys(entry.Number, 0, a.Keys, a.Threshold, nextKeys);
        var config = new KeyConfig([.. set.Keys], a.Threshold, [.. set.NextKeyDigests], nextThreshold);
        KeyAgreementKeyEntry[] ka = [];
        entry.KeyAgreementIndex = -1;
        if (a.KeyAgreement)
        {
            using var pair = wallet.Master.KeyAgreementKey(entry.Number, 0);
            ka = [new KeyAgreementKeyEntry(WalletSupport.KeyAgreementId(pair.PublicKey), pair.PublicKey, "encryption")];
            entry.KeyAgreementIndex = 0;
        }

        using var signers = WalletSupport.Current(wallet.Master, entry);
        var (tx, id) = new TransactionBuilder(chainId).Inception(config, signers, ka, recovery);
        var result = await ctx.SubmitAsync(tx, submit, ct).ConfigureAwait(false);
        entry.IdentityId = id.ToString();
        wallet.Save();
        ctx.Emit(new { id = id.ToString(), label = a.Label, number = entry.Number, chainId, tx = Tx(result) }, o =>
        {
            o.WriteLine($"Identity {id}");
            o.WriteLine($"  label {a.Label}, {a.Threshold} of {a.Keys} signing keys, next keys pre-committed ({nextThreshold} of {nextKeys})");
            if (ka.Length > 0) o.WriteLine($"  key-agreement key {ka[0].Id}");
            if (recovery is not null) o.WriteLine($"  recovery: {recovery.Threshold} of {recovery.Trustees.Length} trustees, delay {recovery.DelaySeconds} s");
            WriteTx(o, result);
        });
        return ExitCodes.Ok;
    }

    private static async Task<int> ShowAsync(CommandContext ctx, string? selector, bool offline, CancellationToken ct)
    {
        using var wallet = await ctx.OpenWalletAsync().ConfigureAwait(false);
        var entry = WalletSupport.Select(wallet.Content, selector);
        IdentityView? view = null;
        ulong height = 0;
        if (!offline && entry.IdentityId is not null)
        {
            var resolved = await ctx.Client.ResolveAsync(WalletSupport.RequireId(entry), null, false, ct).ConfigureAwait(false);
            view = resolved.Identity;
            height = resolved.Height;
        }

        var keysValid = view is not null && view.Status != nameof(IdentityStatus.Deactivated);
        ctx.Emit(new { wallet = WalletJson(entry), ledger = view, height, keysValid }, o =>
        {
            o.WriteLine($"{entry.Label} (#{entry.Number}): {entry.IdentityId ?? "not registered"}{(entry.RecoveryPending ? " — recovery pending" : "")}");
            o.WriteLine($"  wallet: rotation {entry.Rotation}, {entry.SigningThreshold} of {entry.SigningKeyCount} keys, next {entry.NextKeyThreshold} of {entry.NextCount}, agents [{string.Join(", ", entry.Agents)}]");
            if (view is not null) WriteView(o, view, height);
            else if (!offline && entry.IdentityId is not null) o.WriteLine("  ledger: not found");
        });
        return ExitCodes.Ok;
    }

    private static async Task<int> RotateAsync(CommandContext ctx, string? selector, int? newNext, int? newNextThreshold, SubmitOptions submit, CancellationToken ct)
    {
        using var wallet = await ctx.OpenWalletAsync().ConfigureAwait(false);
        var entry = WalletSupport.Select(wallet.Content, selector);
        var id = WalletSupport.RequireId(entry);
        var view = await WalletSupport.ResolveAsync(ctx.Client, id, ct).ConfigureAwait(false);
        if (!entry.RecoveryPending) WalletSupport.CheckInSync(wallet.Master, entry, view);
        if (entry.NextCount == 0 || view.NextKeyDigests.Length == 0) throw new CliException(ExitCodes.Rejected, $"{id} committed to no next keys: it cannot rotate", "CannotRotate");
        var count = entry.NextCount;
        var threshold = entry.NextKeyThreshold;
        var following = newNext ?? count;
        var followingThreshold = newNextThreshold ?? Math.Min(threshold, following);
        if (following is < 1 or > Limits.MaxSigningKeys || followingThreshold < 1 || followingThreshold > following) throw CliException.Usage("need 1 <= --next-threshold <= --next-keys <= 16");

        var set = wallet.Master.RotationKeys(entry.Number, entry.Rotation + 1, count, threshold, following);
        var config = new KeyConfig([.. set.Keys], threshold, [.. set.NextKeyDigests], followingThreshold);
        using var revealed = WalletSupport.Next(wallet.Master, entry);
        var chainId = entry.ChainId ?? await ctx.ChainIdAsync(ct).ConfigureAwait(false);
        var tx = new TransactionBuilder(chainId).Rotation(id, view.Sequence + 1, config, revealed);
        var result = await ctx.SubmitAsync(tx, submit, ct).ConfigureAwait(false);

        var retired = view.SigningKeys;
        entry.Rotation++;
        entry.SigningKeyCount = count;
        entry.SigningThreshold = threshold;
        entry.NextKeyCount = following;
        entry.NextThreshold = followingThreshold;
        wallet.Save();
        ctx.Emit(new { id = id.ToString(), rotation = entry.Rotation, signingKeys = config.SigningKeys.Select(k => k.ToHex()), retiredKeys = retired, tx = Tx(result) }, o =>
        {
            o.WriteLine($"Rotated {id} to rotation {entry.Rotation}: {threshold} of {count} keys; next keys pre-committed ({followingThreshold} of {following}).");
            o.WriteLine($"  retired keys: {string.Join(", ", retired)}");
            WriteTx(o, result);
            if (result.Height is { } h) o.WriteLine($"  if a retired key was stolen: dkms key revoke --signing-key <key> --compromised-at <height it was stolen, at most {h}>");
        });
        return ExitCodes.Ok;
    }

    private static async Task<int> DeactivateAsync(CommandContext ctx, string? selector, bool yes, SubmitOptions submit, CancellationToken ct)
    {
        if (!yes) throw CliException.Usage("deactivation is permanent: add --yes to confirm");
        using var wallet = await ctx.OpenWalletAsync().ConfigureAwait(false);
        var entry = WalletSupport.Select(wallet.Content, selector);
        var id = WalletSupport.RequireId(entry);
        var view = await WalletSupport.ResolveAsync(ctx.Client, id, ct).ConfigureAwait(false);
        WalletSupport.CheckInSync(wallet.Master, entry, view);
        // The pre-rotated next keys sign, so a thief holding only the current keys cannot destroy the identity.
        using var signers = view.NextKeyDigests.Length == 0 ? WalletSupport.Current(wallet.Master, entry) : WalletSupport.Next(wallet.Master, entry);
        var chainId = entry.ChainId ?? await ctx.ChainIdAsync(ct).ConfigureAwait(false);
        var result = await ctx.SubmitAsync(new TransactionBuilder(chainId).Deactivate(id, view.Sequence + 1, signers), submit, ct).ConfigureAwait(false);
        ctx.Emit(new { id = id.ToString(), deactivated = true, tx = Tx(result) }, o =>
        {
            o.WriteLine($"Deactivated {id}. Every later transaction on it will be rejected.");
            WriteTx(o, result);
        });
        return ExitCodes.Ok;
    }

    private static async Task<int> ImportAsync(CommandContext ctx, string did, string? label, int? number, CancellationToken ct)
    {
        var id = WalletSupport.ParseId(did);
        using var wallet = await ctx.OpenWalletAsync().ConfigureAwait(false);
        var view = await WalletSupport.ResolveAsync(ctx.Client, id, ct).ConfigureAwait(false);
        var existing = wallet.Content.Identities.FirstOrDefault(i => i.IdentityId == id.ToString());
        var taken = wallet.Content.Identities.Where(i => i != existing).Select(i => i.Number).ToHashSet();
        var numbers = number is { } n ? [n] : existing is not null ? [existing.Number] : Enumerable.Range(0, 16).Where(x => !taken.Contains(x)).ToArray();
        var found = await ctx.ProgressAsync("Searching the wallet's key paths for the ledger's keys", () => Task.Run(() => Find(wallet, view, numbers))).ConfigureAwait(false)
            ?? throw new CliException(ExitCodes.NotFound, $"none of this wallet's keys (numbers {string.Join(",", numbers)}, rotations 0..255) are the current keys of {id}", "KeysNotFound");

        var entry = existing ?? new IdentityEntry { Number = found.Number, Label = label ?? "imported" };
        if (existing is null) wallet.Content.Identities.Add(entry);
        if (label is not null) entry.Label = label;
        entry.IdentityId = id.ToString();
        entry.Rotation = found.Rotation;
        entry.SigningKeyCount = view.SigningKeys.Length;
        entry.SigningThreshold = view.Threshold;
        entry.NextKeyCount = view.NextKeyDigests.Length;
        entry.NextThreshold = view.NextThreshold;
        entry.RecoveryPending = false;
        entry.ChainId = await ctx.ChainIdAsync(ct).ConfigureAwait(false);
        entry.KeyAgreementIndex = -1;
        for (var i = 0; i < Limits.MaxKeyAgreementKeys * 4; i++)
        {
            using var pair = wallet.Master.KeyAgreementKey(entry.Number, i);
            if (view.KeyAgreementKeys.Any(k => k.Key == pair.PublicKey.ToHex())) entry.KeyAgreementIndex = i;
        }

        wallet.Save();
        ctx.Emit(new { id = id.ToString(), wallet = WalletJson(entry) }, o =>
            o.WriteLine($"Imported {id} as '{entry.Label}' (#{entry.Number}): rotation {entry.Rotation}, {entry.SigningThreshold} of {entry.SigningKeyCount} keys, sequence {view.Sequence}."));
        return ExitCodes.Ok;
    }

    private static Task<int> ListAsync(CommandContext ctx, CancellationToken ct) => ListCoreAsync(ctx);

    private static async Task<int> ListCoreAsync(CommandContext ctx)
    {
        using var wallet = await ctx.OpenWalletAsync().ConfigureAwait(false);
        var entries = wallet.Content.Identities;
        ctx.Emit(entries.Select(WalletJson).ToArray(), o =>
        {
            if (entries.Count == 0) o.WriteLine("No identities.");
            foreach (var e in entries) o.WriteLine($"#{e.Number} {e.Label}: {(e.LocalOnly ? "agent keys only" : e.IdentityId ?? "not registered")}{(e.RecoveryPending ? " (recovery pending)" : "")}");
        });
        return ExitCodes.Ok;
    }

    private sealed record Found(int Number, int Rotation);

    private static Found? Find(WalletFile wallet, IdentityView view, int[] numbers)
    {
        var ledgerKeys = view.SigningKeys.ToHashSet();
        foreach (var n in numbers)
        {
            for (var r = 0; r < 256; r++)
            {
                using var key = wallet.Master.SigningKey(n, r, 0);
                if (ledgerKeys.Contains(key.PublicKey.ToHex())) return new Found(n, r);
            }
        }

        return null;
    }

    internal static object WalletJson(IdentityEntry e) => new
    {
        e.Number,
        e.Label,
        id = e.IdentityId,
        e.ChainId,
        e.Rotation,
        signingKeys = e.SigningKeyCount,
        threshold = e.SigningThreshold,
        nextKeys = e.NextCount,
        nextThreshold = e.NextKeyThreshold,
        keyAgreementIndex = e.KeyAgreementIndex,
        e.Agents,
        e.LocalOnly,
        e.RecoveryPending,
    };

    internal static object Tx(SubmitResult r) => new { hash = r.Hash, status = r.Status, height = r.Height, index = r.Index };

    internal static void WriteTx(TextWriter o, SubmitResult r) =>
        o.WriteLine(r.Height is { } h ? $"  tx {r.Hash}: {r.Status} at height {h}" : $"  tx {r.Hash}: {r.Status} (not waiting for the block; see 'dkms tx status {r.Hash}')");

    internal static void WriteView(TextWriter o, IdentityView v, ulong height)
    {
        // A deactivated identity keeps its last keys in the record, but none of them counts any more: say so on every line.
        var deactivated = v.Status == nameof(IdentityStatus.Deactivated);
        o.WriteLine(deactivated
            ? $"  ledger at height {height}: DEACTIVATED at height {v.UpdatedAtHeight}, sequence {v.Sequence}: none of its keys is valid"
            : $"  ledger at height {height}: {v.Status}, sequence {v.Sequence}");
        o.WriteLine(deactivated
            ? $"  former signing keys ({v.Threshold} of {v.SigningKeys.Length}; not valid: the identity is deactivated):"
            : $"  signing keys ({v.Threshold} of {v.SigningKeys.Length}):");
        foreach (var k in v.SigningKeys) o.WriteLine($"    {k}");
        if (!deactivated) o.WriteLine($"  next key digests ({v.NextThreshold} of {v.NextKeyDigests.Length})");
        foreach (var k in v.KeyAgreementKeys)
        {
            var state = k.RevokedAtHeight is { } r ? $"revoked at {r}" + (k.CompromisedAtHeight is { } c ? $", compromised at {c}" : "") : deactivated ? "not valid: deactivated" : "active";
            o.WriteLine($"  key-agreement {k.Id} ({k.Purpose}): {k.Key} [{state}]");
        }

        if (deactivated) return;
        if (v.Recovery is { } rec) o.WriteLine($"  recovery: {rec.Threshold} of [{string.Join(", ", rec.Trustees)}], delay {rec.DelaySeconds} s");
        if (v.PendingRecoveryPolicy is { } change)
        {
            var pol = change.Policy;
            o.WriteLine($"  RECOVERY POLICY CHANGE PENDING: {pol.Threshold} of [{string.Join(", ", pol.Trustees)}], delay {pol.DelaySeconds} s; governs recovery after {DateTimeOffset.FromUnixTimeMilliseconds((long)change.EffectiveAfterMs):u}");
            o.WriteLine("    if this is not you, your current keys are stolen: 'dkms identity rotate' drops the change");
        }

        if (v.PendingRecovery is { } p)
        {
            o.WriteLine($"  RECOVERY IN PROGRESS: approved by {string.Join(", ", p.ApprovedBy)}; can be finalized after {DateTimeOffset.FromUnixTimeMilliseconds((long)p.FinalizeAfterMs):u}");
            o.WriteLine("    if this is not you: 'dkms recovery cancel' (signed by your pre-rotated next keys)");
        }
    }
}
