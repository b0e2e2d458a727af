using System.Collections;
using Dkms.Client;
using Dkms.Core.Crypto;
using Dkms.Core.Primitives;
using Dkms.Rpc;
using Dkms.Wallet.Keys;
using Dkms.Wallet.Storage;

namespace Dkms.Cli.Infrastructure;

/// <summary>Signers derived from the wallet, disposed together.</summary>
internal sealed class SignerSet(IReadOnlyList<Ed25519Signer> signers) : IReadOnlyList<Ed25519Signer>, IDisposable
{
    public Ed25519Signer this[int index] => signers[index];

    public int Count => signers.Count;

    public IEnumerator<Ed25519Signer> GetEnumerator() => signers.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public void Dispose()
    {
        foreach (var s in signers) s.Dispose();
    }
}

/// <summary>The wallet's identities as the CLI uses them: selection, derived keys, and their ledger state.</summary>
internal static class WalletSupport
{
    /// <summary>The X25519 key a new device publishes to receive re-sealed recovery shares (docs/wallet.md lists the path).</summary>
    public const string RecoveryRequestPath = KeyPaths.Root + "/recovery-request/0";

    /// <summary>The identity named by <paramref name="selector"/> (label, did or wallet number), or the only one.</summary>
    public static IdentityEntry Select(WalletContent content, string? selector)
    {
        var candidates = content.Identities.Where(i => !i.LocalOnly).ToList();
        if (selector is null)
        {
            return candidates.Count switch
            {
                1 => candidates[0],
                0 => throw CliException.Usage("the wallet holds no identity: create one with 'dkms identity create' or 'dkms identity import'"),
                _ => throw CliException.Usage($"the wallet holds several identities; choose one with --identity ({string.Join(", ", candidates.Select(i => i.Label))})"),
            };
        }

        var match = candidates.Where(i => i.Label == selector || i.IdentityId == selector || i.Number.ToString(System.Globalization.CultureInfo.InvariantCulture) == selector).ToList();
        return match.Count switch
        {
            1 => match[0],
            0 => throw CliException.Usage($"no identity '{selector}' in the wallet"),
            _ => throw CliException.Usage($"'{selector}' names several identities; use the did or the number"),
        };
    }

    public static IdentityId RequireId(IdentityEntry entry) =>
        entry.IdentityId is { } text && IdentityId.TryParse(text, out var id)
            ? id
            : throw CliException.Usage($"identity '{entry.Label}' is not registered on the ledger yet");

    public static IdentityId ParseId(string text, string what = "identity") =>
        IdentityId.TryParse(text, out var id) ? id : throw CliException.Usage($"{what} '{text}' is not a did:dkms identifier");

    public static SignerSet Signers(MasterSecret master, IdentityEntry entry, int rotation, int count) =>
        new([.. Enumerable.Range(0, count).Select(i => master.SigningKey(entry.Number, rotation, i))]);

    public static SignerSet Current(MasterSecret master, IdentityEntry entry) => Signers(master, entry, entry.Rotation, entry.SigningKeyCount);

    public static SignerSet Next(MasterSecret master, IdentityEntry entry) => Signers(master, entry, entry.Rotation + 1, entry.NextCount);

    /// <summary>The id a key-agreement key is published under: derived from the key, so it never collides across devices.</summary>
    public static string KeyAgreementId(PublicKey key) => "x25519-" + key.ToHex()[..16];

    /// <summary>An agent key by 64 hex digits, or by the name of an agent key this wallet holds.</summary>
    public static PublicKey ParseAgent(WalletFile? wallet, string text)
    {
        if (text.Length == 64 && text.All(Uri.IsHexDigit)) return PublicKey.ParseHex(text);
        if (wallet is null) throw CliException.Usage($"agent '{text}' is not 64 hex digits");
        using var signer = AgentSigner(wallet, text);
        return signer.PublicKey;
    }

    /// <summary>The signer of the agent key called <paramref name="name"/> held by this wallet.</summary>
    public static Ed25519Signer AgentSigner(WalletFile wallet, string name)
    {
        var holder = wallet.Content.Identities.FirstOrDefault(i => i.Agents.Contains(name))
            ?? throw CliException.Usage($"this wallet holds no agent key '{name}' (create it with 'dkms agent create {name}')");
        return wallet.Master.AgentKey(holder.Number, name);
    }

    /// <summary>The identity's state at the latest height as the node says, unproven: for building transactions, where a
    /// lie at most gets one rejected. Keys to encrypt to or rights to sign come from <see cref="CommandContext.VerifiedResolveAsync"/>.
    /// A missing identity is exit code 6.</summary>
    public static async Task<IdentityView> ResolveAsync(DkmsRpcClient client, IdentityId id, CancellationToken ct)
    {
        var result = await client.ResolveAsync(id, null, false, ct).ConfigureAwait(false);
        if (result.Id != id.ToString() || (result.Identity is not null && result.Identity.Id != id.ToString()))
        {
            throw new CliException(ExitCodes.VerificationFailed, $"the node answered about {result.Identity?.Id ?? result.Id}, not {id}", "NotWhatWasAsked");
        }

        return result.Identity ?? throw new CliException(ExitCodes.NotFound, $"{id} does not exist on the ledger (height {result.Height})", "UnknownIdentity");
    }

    /// <summary>Refuses to sign with keys the ledger no longer (or not yet) holds current, which would only be rejected.</summary>
    public static void CheckInSync(MasterSecret master, IdentityEntry entry, IdentityView view)
    {
        using var current = Current(master, entry);
        var ours = current.Select(s => s.PublicKey.ToHex()).Order().ToArray();
        if (!ours.SequenceEqual(view.SigningKeys.Order()))
        {
            throw CliException.Usage($"the wallet's current keys for {view.Id} (rotation {entry.Rotation}) are not the ledger's; "
                + "run 'dkms identity import " + view.Id + "' to bring the wallet in line with the ledger");
        }
    }
}
