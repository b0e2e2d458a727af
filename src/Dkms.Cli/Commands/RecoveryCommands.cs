using System.CommandLine;
using System.Text.Json;
using Dkms.Cli.Infrastructure;
using Dkms.Client;
using Dkms.Core.Crypto;
using Dkms.Core.Encoding;
using Dkms.Core.Primitives;
using Dkms.Core.Transactions;
using Dkms.Rpc;
using Dkms.Wallet;

namespace Dkms.Cli.Commands;

/// <summary>A recovery start being signed by trustees, passed from hand to hand as a file.</summary>
internal sealed record RecoveryRequestDocument(string ChainId, string Subject, ulong Sequence, string[] ProposedKeys, string Body, SignatureDocument[] Signatures);

internal sealed record SignatureDocument(string Key, string Signature, string Trustee);

/// <summary><c>dkms recovery …</c>: social recovery on the ledger.</summary>
internal static class RecoveryCommands
{
    private static readonly JsonSerializerOptions FileJson = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static Command Build(AppCommands app)
    {
        var recovery = new Command("recovery", "Social recovery: trustees can give an identity new keys after a delay the owner can use to cancel");

        var spId = IdentityCommands.IdentityOption();
        var trustees = new Option<string[]>("--trustee") { Description = "Trustee identity (repeat; at least 2)", Required = true };
        var threshold = new Option<int>("--threshold") { Description = "Trustees needed to start a recovery", DefaultValueFactory = _ => 2 };
        var delay = new Option<ulong>("--delay") { Description = "Seconds between start and earliest finalize (the owner's window to cancel)", DefaultValueFactory = _ => 86400 };
        var now = new Option<bool>("--now")
        {
            Description = "Sign with your pre-rotated next keys so the policy takes effect at once (their public keys become known, as when cancelling a recovery); "
                + "without it the current keys sign and the policy waits out the present policy's delay (or the chain's minimum)",
        };
        var spSubmit = new SubmitOptions();
        var setPolicy = spSubmit.AddTo(new Command("set-policy", "Name the trustees, how many must agree, and the delay") { spId, trustees, threshold, delay, now });
        recovery.Subcommands.Add(app.Bind(setPolicy, (ctx, ct) => SetPolicyAsync(ctx, ctx.Get(spId), ctx.Get(trustees), ctx.Get(threshold), ctx.Get(delay), ctx.Get(now), spSubmit, ct)));

        var subject = new Option<string>("--subject") { Description = "The identity to recover", Required = true };
        var reqOut = new Option<string>("--out") { Description = "Request file to hand to the trustees", Required = true };
        var reqLabel = new Option<string>("--label") { Description = "Name of the identity in this (new) wallet", DefaultValueFactory = _ => "recovered" };
        var request = new Command("request", "On a new wallet: propose fresh keys for a lost identity and write the request trustees sign") { subject, reqOut, reqLabel };
        recovery.Subcommands.Add(app.Bind(request, (ctx, ct) => RequestAsync(ctx, ctx.Get(subject), ctx.Get(reqOut), ctx.Get(reqLabel), ct)));

        var approveFile = new Argument<string>("request") { Description = "The request file (updated in place)" };
        var approveId = IdentityCommands.IdentityOption();
        var approve = new Command("approve", "As a trustee: sign a recovery request (or cancel request) with your identity's keys (after checking with the owner out of band)") { approveFile, approveId };
        recovery.Subcommands.Add(app.Bind(approve, (ctx, ct) => ApproveAsync(ctx, ctx.Get(approveFile), ctx.Get(approveId), ct)));

        var startFile = new Argument<string>("request") { Description = "The request file, signed by enough trustees" };
        var startSubmit = new SubmitOptions();
        var start = startSubmit.AddTo(new Command("start", "Submit a signed recovery request: the identity becomes 'recovering' until the delay passes") { startFile });
        recovery.Subcommands.Add(app.Bind(start, (ctx, ct) => SubmitSignedAsync(ctx, ctx.Get(startFile), cancel: false, startSubmit, ct)));

        var cancelId = IdentityCommands.IdentityOption();
        var cancelRequest = new Option<string?>("--request") { Description = "Submit a cancel signed by the trustees (from 'recovery request-cancel' + 'approve') instead of your next keys" };
        var cancelSubmit = new SubmitOptions();
        var cancel = cancelSubmit.AddTo(new Command("cancel", "Cancel a recovery: signed by your pre-rotated next keys, or by the trustees with --request") { cancelId, cancelRequest });
        recovery.Subcommands.Add(app.Bind(cancel, (ctx, ct) => ctx.Get(cancelRequest) is { } file
            ? SubmitSignedAsync(ctx, file, cancel: true, cancelSubmit, ct)
            : CancelAsync(ctx, ctx.Get(cancelId), cancelSubmit, ct)));

        var rcSubject = new Option<string>("--subject") { Description = "The identity whose recovery the trustees cancel", Required = true };
        var rcOut = new Option<string>("--out") { Description = "Cancel request file to hand to the trustees", Required = true };
        var requestCancel = new Command("request-cancel", "Write a cancel of a pending recovery for the trustees to sign ('recovery approve'), then 'recovery cancel --request'") { rcSubject, rcOut };
        recovery.Subcommands.Add(app.Bind(requestCancel, (ctx, ct) => RequestCancelAsync(ctx, ctx.Get(rcSubject), ctx.Get(rcOut), ct)));

        var finSubject = new Option<string?>("--subject") { Description = "The identity (default: the wallet's identity with a recovery pending)" };
        var finSubmit = new SubmitOptions();
        var finalize = finSubmit.AddTo(new Command("finalize", "After the delay: make the proposed keys the identity's signing keys") { finSubject });
        recovery.Subcommands.Add(app.Bind(finalize, (ctx, ct) => FinalizeAsync(ctx, ctx.Get(finSubject), finSubmit, ct)));
        return recovery;
    }

    private static async Task<int> SetPolicyAsync(CommandContext ctx, string? selector, string[] trustees, int threshold, ulong delay, bool now, SubmitOptions submit, CancellationToken ct)
    {
        var policy = new RecoveryPolicy([.. trustees.Select(t => WalletSupport.ParseId(t, "trustee"))], threshold, delay);
        using var wallet = await ctx.OpenWalletAsync().ConfigureAwait(false);
        var entry = WalletSupport.Select(wallet.Content, selector);
        var id = WalletSupport.RequireId(entry);
        var view = await WalletSupport.ResolveAsync(ctx.Client, id, ct).ConfigureAwait(false);
        WalletSupport.CheckInSync(wallet.Master, entry, view);
        if (now && view.NextKeyDigests.Length == 0) throw CliException.Usage($"{id} committed to no next keys: --now is not possible; the change waits out the present policy's delay");
        using var signers = now ? WalletSupport.Next(wallet.Master, entry) : WalletSupport.Current(wallet.Master, entry);
        var chainId = entry.ChainId ?? await ctx.ChainIdAsync(ct).ConfigureAwait(false);
        var result = await ctx.SubmitAsync(new TransactionBuilder(chainId).SetRecoveryPolicy(id, view.Sequence + 1, policy, signers, immediate: now), submit, ct).ConfigureAwait(false);
        var after = result.Height is not null ? (await WalletSupport.ResolveAsync(ctx.Client, id, ct).ConfigureAwait(false)).PendingRecoveryPolicy : null;
        var effectiveAfter = after is null ? (DateTimeOffset?)null : DateTimeOffset.FromUnixTimeMilliseconds((long)after.EffectiveAfterMs);
        ctx.Emit(new { id = id.ToString(), trustees, threshold, delaySeconds = delay, immediate = now, effectiveAfter, tx = IdentityCommands.Tx(result) }, o =>
        {
            o.WriteLine($"Recovery policy of {id}: {threshold} of {trustees.Length} trustees, delay {delay} s.");
            if (now) o.WriteLine("  in effect now (signed by your pre-rotated next keys).");
            else if (effectiveAfter is { } t) o.WriteLine($"  pending: it governs recovery after {t:u} (block time); until then the present policy does, and a rotation drops it.");
            else o.WriteLine("  signed by your current keys: it governs recovery only after the present policy's delay (or the chain's minimum) — see 'dkms identity show'.");
            IdentityCommands.WriteTx(o, result);
        });
        return ExitCodes.Ok;
    }

    private static async Task<int> RequestAsync(CommandContext ctx, string subjectText, string output, string label, CancellationToken ct)
    {
        var subject = WalletSupport.ParseId(subjectText, "subject");
        var path = ctx.ResolvePath(output);
        using var wallet = await ctx.OpenWalletAsync().ConfigureAwait(false);
        var view = await WalletSupport.ResolveAsync(ctx.Client, subject, ct).ConfigureAwait(false);
        var policy = EffectivePolicy(view)
            ?? throw new CliException(ExitCodes.Rejected, $"{subject} has no recovery policy in effect: it cannot be recovered by trustees", "NoRecoveryPolicy");
        var chainId = await ctx.ChainIdAsync(ct).ConfigureAwait(false);
        var entry = wallet.Content.Identities.FirstOrDefault(i => i.IdentityId == subject.ToString() && i.RecoveryPending);
        if (entry is null)
        {
            entry = wallet.Content.AddIdentity(label);
            entry.IdentityId = subject.ToString();
            entry.RecoveryPending = true;
            entry.ChainId = chainId;
            entry.KeyAgreementIndex = -1;
        }

        var set = wallet.Master.RotationKeys(entry.Number, 0, entry.SigningKeyCount, entry.SigningThreshold, entry.NextCount);
        var proposed = new KeyConfig([.. set.Keys], entry.SigningThreshold, [.. set.NextKeyDigests], entry.NextKeyThreshold);
        var body = new TxBody(chainId, subject, view.Sequence + 1, new RecoveryStartPayload(proposed));
        var document = new RecoveryRequestDocument(chainId, subject.ToString(), body.Sequence, [.. proposed.SigningKeys.Select(k => k.ToHex())],
            Convert.ToBase64String(Codec.Encode(body)), []);
        wallet.Save();
        AtomicFile.Write(path, JsonSerializer.SerializeToUtf8Bytes(document, FileJson));
        ctx.Emit(new { request = path, subject = subject.ToString(), proposedKeys = document.ProposedKeys, trustees = policy.Trustees, threshold = policy.Threshold }, o =>
        {
            o.WriteLine($"Recovery request for {subject} written to {path}.");
            o.WriteLine($"Proposed signing key: {string.Join(", ", document.ProposedKeys)}");
            o.WriteLine($"Ask {policy.Threshold} of these trustees to run 'dkms recovery approve {output}': {string.Join(", ", policy.Trustees)}");
        });
        return ExitCodes.Ok;
    }

    private static async Task<int> ApproveAsync(CommandContext ctx, string file, string? selector, CancellationToken ct)
    {
        var (path, document, body) = ReadRequest(ctx, file);
        using var wallet = await ctx.OpenWalletAsync().ConfigureAwait(false);
        var entry = WalletSupport.Select(wallet.Content, selector);
        var trustee = WalletSupport.RequireId(entry);
        var view = await WalletSupport.ResolveAsync(ctx.Client, trustee, ct).ConfigureAwait(false);
        WalletSupport.CheckInSync(wallet.Master, entry, view);
        var subjectView = await WalletSupport.ResolveAsync(ctx.Client, body.Subject, ct).ConfigureAwait(false);
        var policy = EffectivePolicy(subjectView);
        if (policy is null || !policy.Trustees.Contains(trustee.ToString()))
        {
            throw CliException.Usage($"{trustee} is not a trustee of {body.Subject} under the recovery policy in effect");
        }

        var message = Transaction.SigningMessageFor(Convert.FromBase64String(document.Body));
        using var signers = WalletSupport.Current(wallet.Master, entry);
        var added = signers.Select(s => new SignatureDocument(s.PublicKey.ToHex(), Convert.ToBase64String(s.Sign(message)), trustee.ToString()));
        var signatures = document.Signatures.Where(s => s.Trustee != trustee.ToString()).Concat(added).ToArray();
        AtomicFile.Write(path, JsonSerializer.SerializeToUtf8Bytes(document with { Signatures = signatures }, FileJson));
        var approvers = signatures.Select(s => s.Trustee).Distinct().Count();
        ctx.Emit(new { request = path, trustee = trustee.ToString(), approvals = approvers, needed = policy.Threshold }, o =>
        {
            var what = body.Payload is RecoveryCancelPayload ? "the cancel of the recovery" : "the recovery";
            o.WriteLine($"Approved {what} of {body.Subject} as {trustee} ({approvers} of {policy.Threshold} trustees).");
            if (approvers >= policy.Threshold)
            {
                o.WriteLine(body.Payload is RecoveryCancelPayload ? $"Enough trustees: submit it with 'dkms recovery cancel --request {file}'." : $"Enough trustees: submit it with 'dkms recovery start {file}'.");
            }
        });
        return ExitCodes.Ok;
    }

    /// <summary>
    /// The collected approvals that can still count: by a trustee of the policy in effect, with one of that trustee's
    /// current keys. The ledger refuses a transaction carrying a signature that does not count (one signed form per
    /// body), so an approval gone stale — its trustee rotated since, or left the policy — is left out rather than
    /// spoiling the others. The node's word decides only what is left out; the ledger judges what is sent.
    /// </summary>
    private static async Task<TxSignature[]> CountingSignaturesAsync(CommandContext ctx, IdentityId subject, TxSignature[] collected, CancellationToken ct)
    {
        var policy = EffectivePolicy(await WalletSupport.ResolveAsync(ctx.Client, subject, ct).ConfigureAwait(false));
        var keep = new List<TxSignature>(collected.Length);
        foreach (var group in collected.GroupBy(s => s.Signer!.Value))
        {
            if (policy is null || !policy.Trustees.Contains(group.Key.ToString())) continue;
            var trustee = (await ctx.Client.ResolveAsync(group.Key, null, false, ct).ConfigureAwait(false)).Identity;
            if (trustee is null) continue;
            keep.AddRange(group.Where(s => trustee.SigningKeys.Contains(s.Key.ToHex())));
        }

        if (keep.Count < collected.Length) ctx.Note($"left out {collected.Length - keep.Count} approval signature(s) that no longer count (a trustee rotated, or is no longer a trustee)");
        return [.. keep];
    }

    /// <summary>The policy that governs a recovery started now: a pending change counts once its time (by this machine's clock) has passed.</summary>
    private static RecoveryPolicyView? EffectivePolicy(IdentityView view) =>
        Views.EffectiveRecovery(view, (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());

    private static async Task<int> RequestCancelAsync(CommandContext ctx, string subjectText, string output, CancellationToken ct)
    {
        var subject = WalletSupport.ParseId(subjectText, "subject");
        var view = await WalletSupport.ResolveAsync(ctx.Client, subject, ct).ConfigureAwait(false);
        if (view.PendingRecovery is null || view.Recovery is null) throw new CliException(ExitCodes.Rejected, $"{subject} has no recovery in progress", "NotRecovering");
        var chainId = await ctx.ChainIdAsync(ct).ConfigureAwait(false);
        var body = new TxBody(chainId, subject, view.Sequence + 1, new RecoveryCancelPayload());
        var path = ctx.ResolvePath(output);
        AtomicFile.Write(path, JsonSerializer.SerializeToUtf8Bytes(new RecoveryRequestDocument(chainId, subject.ToString(), body.Sequence, [], Convert.ToBase64String(Codec.Encode(body)), []), FileJson));
        ctx.Emit(new { request = path, subject = subject.ToString(), trustees = view.Recovery.Trustees, threshold = view.Recovery.Threshold }, o =>
        {
            o.WriteLine($"Cancel request for the recovery of {subject} written to {path}.");
            o.WriteLine($"Ask {view.Recovery.Threshold} trustees to run 'dkms recovery approve {output}', then 'dkms recovery cancel --request {output}'.");
        });
        return ExitCodes.Ok;
    }

    /// <summary>Submits a trustee-signed request file: a recovery start, or (with <paramref name="cancel"/>) a cancel.</summary>
    private static async Task<int> SubmitSignedAsync(CommandContext ctx, string file, bool cancel, SubmitOptions submit, CancellationToken ct)
    {
        var (_, document, body) = ReadRequest(ctx, file);
        if ((body.Payload is RecoveryCancelPayload) != cancel)
        {
            throw CliException.Usage(cancel ? $"'{file}' is a recovery start: submit it with 'dkms recovery start'" : $"'{file}' is a cancel: submit it with 'dkms recovery cancel --request'");
        }

        var collected = document.Signatures.Select(s => new TxSignature(PublicKey.ParseHex(s.Key), Convert.FromBase64String(s.Signature), IdentityId.Parse(s.Trustee))).ToArray();
        var signatures = await CountingSignaturesAsync(ctx, body.Subject, collected, ct).ConfigureAwait(false);
        if (!TransactionCodec.TryAssemble(Convert.FromBase64String(document.Body), signatures, out var tx, out var error) || tx is null) throw CliException.Usage($"the request does not make a valid transaction: {error}");
        var result = await ctx.SubmitAsync(tx, submit, ct).ConfigureAwait(false);
        if (cancel)
        {
            ctx.Emit(new { subject = body.Subject.ToString(), cancelled = true, tx = IdentityCommands.Tx(result) }, o =>
            {
                o.WriteLine($"The trustees cancelled the recovery of {body.Subject}.");
                IdentityCommands.WriteTx(o, result);
            });
            return ExitCodes.Ok;
        }

        var view = result.Height is not null ? await WalletSupport.ResolveAsync(ctx.Client, body.Subject, ct).ConfigureAwait(false) : null;
        var after = view?.PendingRecovery is { } p ? DateTimeOffset.FromUnixTimeMilliseconds((long)p.FinalizeAfterMs) : (DateTimeOffset?)null;
        ctx.Emit(new { subject = body.Subject.ToString(), finalizeAfter = after, tx = IdentityCommands.Tx(result) }, o =>
        {
            o.WriteLine($"Recovery of {body.Subject} started.");
            if (after is { } a) o.WriteLine($"  it can be finalized after {a:u} ('dkms recovery finalize'); until then the owner can cancel it.");
            IdentityCommands.WriteTx(o, result);
        });
        return ExitCodes.Ok;
    }

    private static async Task<int> CancelAsync(CommandContext ctx, string? selector, SubmitOptions submit, CancellationToken ct)
    {
        using var wallet = await ctx.OpenWalletAsync().ConfigureAwait(false);
        var entry = WalletSupport.Select(wallet.Content, selector);
        var id = WalletSupport.RequireId(entry);
        var view = await WalletSupport.ResolveAsync(ctx.Client, id, ct).ConfigureAwait(false);
        WalletSupport.CheckInSync(wallet.Master, entry, view);
        using var next = WalletSupport.Next(wallet.Master, entry);
        var chainId = entry.ChainId ?? await ctx.ChainIdAsync(ct).ConfigureAwait(false);
        var tx = new TransactionBuilder(chainId).RecoveryCancel(id, view.Sequence + 1, next.Select(s => ((ISigner)s, (IdentityId?)null)));
        var result = await ctx.SubmitAsync(tx, submit, ct).ConfigureAwait(false);
        ctx.Emit(new { id = id.ToString(), cancelled = true, tx = IdentityCommands.Tx(result) }, o =>
        {
            o.WriteLine($"Cancelled the recovery of {id}; its keys are unchanged.");
            o.WriteLine("  Your current keys may be known to someone else: consider 'dkms identity rotate'.");
            IdentityCommands.WriteTx(o, result);
        });
        return ExitCodes.Ok;
    }

    private static async Task<int> FinalizeAsync(CommandContext ctx, string? subjectText, SubmitOptions submit, CancellationToken ct)
    {
        using var wallet = await ctx.OpenWalletAsync().ConfigureAwait(false);
        var entry = subjectText is null
            ? wallet.Content.Identities.SingleOrDefault(i => i.RecoveryPending) ?? throw CliException.Usage("no recovery pending in this wallet: give --subject")
            : wallet.Content.Identities.FirstOrDefault(i => i.IdentityId == subjectText && i.RecoveryPending);
        var id = WalletSupport.ParseId(subjectText ?? entry!.IdentityId!, "subject");
        var view = await WalletSupport.ResolveAsync(ctx.Client, id, ct).ConfigureAwait(false);
        if (view.PendingRecovery is null) throw new CliException(ExitCodes.Rejected, $"{id} has no recovery in progress", "NotRecovering");
        var chainId = entry?.ChainId ?? await ctx.ChainIdAsync(ct).ConfigureAwait(false);
        // Finalizing needs no authority ("anyone, once the delay has passed"), but every transaction carries one
        // signature: the wallet's first proposed key when this wallet made the request, else a one-time key.
        using var submitters = entry is not null ? WalletSupport.Current(wallet.Master, entry) : new SignerSet([Ed25519Signer.Generate()]);
        var tx = new TransactionBuilder(chainId).RecoveryFinalize(id, view.Sequence + 1, submitters[0]);
        var result = await ctx.SubmitAsync(tx, submit, ct).ConfigureAwait(false);
        var mine = false;
        if (entry is not null && result.Height is not null)
        {
            using var keys = WalletSupport.Current(wallet.Master, entry);
            mine = keys.Select(k => k.PublicKey.ToHex()).Order().SequenceEqual(view.PendingRecovery.ProposedSigningKeys.Order());
            if (mine)
            {
                entry.RecoveryPending = false;
                wallet.Save();
            }
        }

        ctx.Emit(new { id = id.ToString(), finalized = true, walletHoldsKeys = mine, tx = IdentityCommands.Tx(result) }, o =>
        {
            o.WriteLine($"Recovery of {id} finalized: the proposed keys are now its signing keys.");
            if (mine) o.WriteLine($"  This wallet holds them ('{entry!.Label}').");
            IdentityCommands.WriteTx(o, result);
        });
        return ExitCodes.Ok;
    }

    private static (string Path, RecoveryRequestDocument Document, TxBody Body) ReadRequest(CommandContext ctx, string file)
    {
        var path = ctx.ResolvePath(file);
        RecoveryRequestDocument? document;
        try
        {
            document = JsonSerializer.Deserialize<RecoveryRequestDocument>(ctx.ReadText(file), FileJson);
        }
        catch (JsonException e)
        {
            throw CliException.Usage($"'{file}' is not a recovery request: {e.Message}");
        }

        if (document?.Body is null || document.Signatures is null) throw CliException.Usage($"'{file}' is not a complete recovery request");
        if (!Codec.TryDecode<TxBody>(Convert.FromBase64String(document.Body), out var body, out var error) || body is null
            || body.Payload is not (RecoveryStartPayload or RecoveryCancelPayload))
        {
            throw CliException.Usage($"'{file}' does not hold a recovery start or cancel: {error}");
        }

        return (path, document, body);
    }
}
