using Dkms.Core.Primitives;
using Dkms.Wallet.Keys;

namespace Dkms.Cli.Infrastructure;

/// <summary>
/// Ties a restored master secret to the identity it claims to be the backup of. Share digests only show
/// that shares belong together; anyone can seal a whole consistent set of a secret they chose to a public
/// request key. What a forger cannot make is a secret that derives the owner's signing keys, so the check
/// is: the owner's key state, proven against the genesis validators and bound to the did asked for, must
/// hold a signing key the restored secret derives (docs/wallet.md, "Whose secret is it?").
/// </summary>
internal static class OwnerCheck
{
    /// <summary>Where the restored secret's key sits, or a <see cref="CliException"/> (exit 5, or 6 for an unknown owner).</summary>
    public static async Task<SigningKeyPath> RequireOwnersSecretAsync(CommandContext ctx, IdentityId owner, MasterSecret restored, CancellationToken ct)
    {
        // Proven against the genesis validators, bound to the did asked for (a genuine proof of another identity — the
        // forger's own, whose keys the forged secret does derive — is refused), and fresh.
        var proven = await ctx.VerifiedResolveAsync(owner, null, ct).ConfigureAwait(false);
        var state = proven.Value ?? throw new CliException(ExitCodes.NotFound,
            $"{owner} does not exist on the ledger (proven at height {proven.Height}): there is no owner to check the shares against; nothing was written", "UnknownIdentity");
        if (state.Id != owner) throw Refused($"the proven record is {state.Id}'s, not {owner}'s", "ProofInvalid");

        var found = await ctx.ProgressAsync($"Checking the restored secret against {owner}'s signing keys",
            () => Task.Run(() => SigningKeySearch.Find(restored, state.Keys.SigningKeys))).ConfigureAwait(false);
        return found ?? throw Refused(
            $"the shares combine to a master secret that derives none of {owner}'s signing keys (proven at height {proven.Height}; "
            + $"wallet identities 0..{SigningKeySearch.Identities - 1}, rotations 0..{SigningKeySearch.Rotations - 1}): they were not made by {owner}'s wallet, "
            + "or the identity has since been recovered onto another wallet", "NotOwnersSecret");
    }

    private static CliException Refused(string why, string code) => new(ExitCodes.VerificationFailed, $"{why}; nothing was written", code);
}
