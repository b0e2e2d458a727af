using System.CommandLine;
using Dkms.Cli.Infrastructure;
using Dkms.Client;
using Dkms.Core.Primitives;
using Dkms.Core.Transactions;
using Dkms.Rpc;

namespace Dkms.Cli.Commands;

/// <summary><c>dkms key …</c>: key-agreement keys, and marking former signing keys compromised.</summary>
internal static class KeyCommands
{
    public static Command Build(AppCommands app)
    {
        var key = new Command("key", "Key-agreement keys and compromised signing keys");

        var addId = IdentityCommands.IdentityOption();
        var purpose = new Option<string>("--purpose") { Description = "What the key is for", DefaultValueFactory = _ => "encryption" };
        var addSubmit = new SubmitOptions();
        var add = addSubmit.AddTo(new Command("add", "Publish the next X25519 key-agreement key of this wallet") { addId, purpose });
        key.Subcommands.Add(app.Bind(add, (ctx, ct) => AddAsync(ctx, ctx.Get(addId), ctx.Get(purpose), addSubmit, ct)));

        var revId = IdentityCommands.IdentityOption();
        var keyId = new Option<string?>("--key-id") { Description = "Revoke this key-agreement key (its id)" };
        var signingKey = new Option<string?>("--signing-key") { Description = "Mark this former signing key (hex) compromised" };
        var rotation = new Option<int?>("--rotation") { Description = "Mark every signing key of this former rotation of the wallet compromised" };
        var at = new Option<ulong?>("--compromised-at") { Description = "Height from which the key's signatures are invalid (default 0: all of them)" };
        var revSubmit = new SubmitOptions();
        var revoke = revSubmit.AddTo(new Command("revoke", "Revoke a key-agreement key, or mark former signing keys compromised") { revId, keyId, signingKey, rotation, at });
        key.Subcommands.Add(app.Bind(revoke, (ctx, ct) => RevokeAsync(ctx, ctx.Get(revId), ctx.Get(keyId), ctx.Get(signingKey), ctx.Get(rotation), ctx.Get(at), revSubmit, ct)));

        var checkDid = new Argument<string>("did") { Description = "The identity" };
        var checkKey = new Argument<string>("key") { Description = "The signing key (hex)" };
        var checkHeight = new Option<ulong>("--height") { Description = "Height at which the signature was made", Required = true };
        var check = new Command("check", "Does a signature by this key at this height count? (Valid, Compromised, NotASigningKey, Deactivated)") { checkDid, checkKey, checkHeight };
        key.Subcommands.Add(app.Bind(check, (ctx, ct) => CheckAsync(ctx, ctx.Get(checkDid), ctx.Get(checkKey), ctx.Get(checkHeight), ct)));
        return key;
    }

    private static async Task<int> AddAsync(CommandContext ctx, string? selector, string purpose, SubmitOptions submit, CancellationToken ct)
    {
        using var wallet = await ctx.OpenWalletAsync().ConfigureAwait(false);
        var entry = WalletSupport.Select(wallet.Content, selector);
        var id = WalletSupport.RequireId(entry);
        var view = await WalletSupport.ResolveAsync(ctx.Client, id, ct).ConfigureAwait(false);
        WalletSupport.CheckInSync(wallet.Master, entry, view);
        var index = entry.KeyAgreementIndex + 1;
        using var pair = wallet.Master.KeyAgreementKey(entry.Number, index);
        var ka = new KeyAgreementKeyEntry(WalletSupport.KeyAgreementId(pair.PublicKey), pair.PublicKey, purpose);
        using var signers = WalletSupport.Current(wallet.Master, entry);
        var chainId = entry.ChainId ?? await ctx.ChainIdAsync(ct).ConfigureAwait(false);
        var result = await ctx.SubmitAsync(new TransactionBuilder(chainId).AddKeyAgreementKey(id, view.Sequence + 1, ka, signers), submit, ct).ConfigureAwait(false);
        entry.KeyAgreementIndex = index;
        wallet.Save();
        ctx.Emit(new { id = id.ToString(), keyId = ka.Id, key = pair.PublicKey.ToHex(), purpose, tx = IdentityCommands.Tx(result) }, o =>
        {
            o.WriteLine($"Added key-agreement key {ka.Id} ({purpose}) to {id}: {pair.PublicKey}");
            IdentityCommands.WriteTx(o, result);
        });
        return ExitCodes.Ok;
    }

    private static async Task<int> RevokeAsync(CommandContext ctx, string? selector, string? keyId, string? signingKey, int? rotation, ulong? at, SubmitOptions submit, CancellationToken ct)
    {
        if ((keyId is null ? 0 : 1) + (signingKey is null ? 0 : 1) + (rotation is null ? 0 : 1) != 1)
        {
            throw CliException.Usage("give exactly one of --key-id, --signing-key or --rotation");
        }

        using var wallet = await ctx.OpenWalletAsync().ConfigureAwait(false);
        var entry = WalletSupport.Select(wallet.Content, selector);
        var id = WalletSupport.RequireId(entry);
        var view = await WalletSupport.ResolveAsync(ctx.Client, id, ct).ConfigureAwait(false);
        WalletSupport.CheckInSync(wallet.Master, entry, view);
        List<PublicKey?> targets;
        if (keyId is not null)
        {
            targets = [null];
        }
        else if (signingKey is not null)
        {
            targets = [ParseKey(signingKey)];
        }
        else
        {
            if (rotation >= entry.Rotation || rotation < 0) throw CliException.Usage($"--rotation must be a former rotation (0..{entry.Rotation - 1}); rotate first");
            // The wallet records only the current key count; a former rotation is taken to have had as many keys
            // (a key that never belonged to the identity is refused by the ledger, not silently skipped).
            targets = [.. wallet.Master.SigningPublicKeys(entry.Number, rotation!.Value, entry.SigningKeyCount).Select(k => (PublicKey?)k)];
        }

        using var signers = WalletSupport.Current(wallet.Master, entry);
        var builder = new TransactionBuilder(entry.ChainId ?? await ctx.ChainIdAsync(ct).ConfigureAwait(false));
        var results = new List<SubmitResult>();
        var sequence = view.Sequence;
        foreach (var target in targets)
        {
            var tx = builder.RevokeKey(id, ++sequence, keyId, target, at, signers);
            results.Add(await ctx.SubmitAsync(tx, submit, ct).ConfigureAwait(false));
        }

        ctx.Emit(new { id = id.ToString(), keyId, revokedSigningKeys = targets.Where(t => t is not null).Select(t => t!.Value.ToHex()), compromisedAt = at, txs = results.Select(IdentityCommands.Tx) }, o =>
        {
            if (keyId is not null) o.WriteLine($"Revoked key-agreement key {keyId} of {id}.");
            foreach (var t in targets.Where(t => t is not null)) o.WriteLine($"Marked {t} compromised from height {at ?? 0}.");
            foreach (var r in results) IdentityCommands.WriteTx(o, r);
        });
        return ExitCodes.Ok;
    }

    private static async Task<int> CheckAsync(CommandContext ctx, string did, string key, ulong height, CancellationToken ct)
    {
        var id = WalletSupport.ParseId(did);
        var result = await ctx.Client.CheckKeyAsync(id, ParseKey(key), height, ct).ConfigureAwait(false);
        ctx.Emit(result, o => o.WriteLine($"{result.Key} of {result.Id} at height {result.Height}: {result.Validity}"));
        return result.Validity == "Valid" ? ExitCodes.Ok : ExitCodes.VerificationFailed;
    }

    private static PublicKey ParseKey(string hex) =>
        hex.Length == 64 && hex.All(Uri.IsHexDigit) ? PublicKey.ParseHex(hex) : throw CliException.Usage($"'{hex}' is not a public key (64 hex digits)");

}
