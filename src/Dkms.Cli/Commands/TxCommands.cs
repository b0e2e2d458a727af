using System.CommandLine;
using Dkms.Cli.Infrastructure;
using Dkms.Core.Primitives;
using Dkms.Ledger.State;
using Dkms.Rpc;

namespace Dkms.Cli.Commands;

/// <summary><c>dkms tx status</c> and <c>dkms resolve</c>: reading the ledger.</summary>
internal static class TxCommands
{
    public static Command Build(AppCommands app)
    {
        var tx = new Command("tx", "Transactions");
        var hash = new Argument<string>("hash") { Description = "Transaction hash (64 hex digits)" };
        var status = new Command("status", "Show whether a transaction is pending, committed or rejected") { hash };
        tx.Subcommands.Add(app.Bind(status, (ctx, ct) => StatusAsync(ctx, ctx.Get(hash), ct)));
        return tx;
    }

    public static Command BuildResolve(AppCommands app)
    {
        var did = new Argument<string>("did") { Description = "The identity to resolve (did:dkms:…)" };
        var height = new Option<ulong?>("--height") { Description = "Resolve at this committed height (default: latest)" };
        var verify = new Option<bool>("--verify") { Description = "Ask for a state proof and check it locally against the genesis validator set" };
        var events = new Option<bool>("--events") { Description = "Also list the identity's event history" };
        var resolve = new Command("resolve", "Show an identity's key state on the ledger") { did, height, verify, events };
        return app.Bind(resolve, (ctx, ct) => ResolveAsync(ctx, ctx.Get(did), ctx.Get(height), ctx.Get(verify), ctx.Get(events), ct));
    }

    private static async Task<int> StatusAsync(CommandContext ctx, string hash, CancellationToken ct)
    {
        if (hash.Length != 64 || !hash.All(Uri.IsHexDigit)) throw CliException.Usage($"'{hash}' is not a transaction hash (64 hex digits)");
        var result = await ctx.Client.StatusAsync(new Hash32(Convert.FromHexString(hash)), ct).ConfigureAwait(false);
        ctx.Emit(result, o => o.WriteLine(result.Status switch
        {
            TxStatuses.Committed => $"{result.Hash}: committed at height {result.Height}, index {result.Index}",
            TxStatuses.Rejected => $"{result.Hash}: rejected: {result.Code}: {result.Message}",
            TxStatuses.Pending => $"{result.Hash}: pending (in the mempool)",
            _ => $"{result.Hash}: unknown to this node",
        }));
        return result.Status switch
        {
            TxStatuses.Rejected => ExitCodes.Rejected,
            TxStatuses.Unknown => ExitCodes.NotFound,
            _ => ExitCodes.Ok,
        };
    }

    private static async Task<int> ResolveAsync(CommandContext ctx, string did, ulong? height, bool verify, bool events, CancellationToken ct)
    {
        var id = WalletSupport.ParseId(did);
        IdentityView? view;
        ulong at;
        DateTimeOffset? blockTime = null;
        if (verify)
        {
            var proven = await ctx.VerifiedResolveAsync(id, height, ct).ConfigureAwait(false);
            view = proven.Value is null ? null : Views.Identity(proven.Value);
            at = proven.Height;
            blockTime = proven.BlockTime;
        }
        else
        {
            var result = await ctx.Client.ResolveAsync(id, height, false, ct).ConfigureAwait(false);
            if (!IdentityId.TryParse(result.Id, out var named) || named != id || (height is { } h && result.Height != h))
            {
                throw new CliException(ExitCodes.VerificationFailed, $"the node answered about {result.Id} at height {result.Height}, not the question asked", "NotWhatWasAsked");
            }

            view = result.Identity;
            at = result.Height;
        }

        if (view is null)
        {
            // An error like any other (with --json the error document), so a script cannot mistake absence for a result.
            throw new CliException(ExitCodes.NotFound, verify
                ? $"{id} does not exist at height {at} (proven absent, verified against the genesis validators)"
                : $"{id} does not exist at height {at} (as the node says; add --verify for a proof)", "UnknownIdentity");
        }

        // The event list is the node's word (not proven): it is shown as such, never used for a decision.
        var history = events && view is not null ? await ctx.Client.EventsAsync(id, null, null, ct).ConfigureAwait(false) : null;
        var deactivated = view?.Status == nameof(IdentityStatus.Deactivated);
        ctx.Emit(new { id = id.ToString(), height = at, blockTime, identity = view, verified = verify, deactivated, keysValid = view is not null && !deactivated, events = history }, o =>
        {
            o.WriteLine(verify
                ? $"{id} — verified against the {ctx.Genesis.Validators.Length} genesis validators (block {at}, {blockTime:u})"
                : $"{id} — as the node says (not verified: add --verify)");
            if (view is null) o.WriteLine($"  does not exist at height {at}");
            else IdentityCommands.WriteView(o, view, at);
            if (history is { Length: > 0 }) o.WriteLine("  events (as the node lists them, not verified):");
            foreach (var e in history ?? [])
            {
                o.WriteLine($"  #{e.Sequence} {e.Type} at height {e.Height} ({DateTimeOffset.FromUnixTimeMilliseconds((long)e.BlockTimeMs):u}) tx {e.TxHash}");
            }
        });
        return view is null ? ExitCodes.NotFound : ExitCodes.Ok;
    }
}
