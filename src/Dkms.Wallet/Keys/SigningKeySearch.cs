using Dkms.Core.Primitives;

namespace Dkms.Wallet.Keys;

/// <summary>Where in a master secret's hierarchy a signing key sits: wallet identity number and rotation.</summary>
public readonly record struct SigningKeyPath(int Identity, int Rotation);

/// <summary>
/// Finds which of a master secret's identities and rotations produced one of a set of signing keys
/// (for example an identity's signing keys as a verified ledger state shows them). Only the holder of
/// the master secret can derive these keys, so a match ties the secret to that identity; a secret
/// that someone else chose matches nothing.
/// </summary>
public static class SigningKeySearch
{
    /// <summary>Wallet identity numbers searched: 0..15, as <c>dkms identity import</c> does.</summary>
    public const int Identities = 16;

    /// <summary>Rotations searched per identity: 0..255, as <c>dkms identity import</c> does.</summary>
    public const int Rotations = 256;

    /// <summary>
    /// The first (identity, rotation) whose key 0 is in <paramref name="keys"/>, or null. Every rotation the
    /// wallet makes (inception, rotations, a recovery's proposed keys) has a key 0, so checking it suffices.
    /// </summary>
    public static SigningKeyPath? Find(MasterSecret master, IReadOnlyCollection<PublicKey> keys, IEnumerable<int>? identities = null)
    {
        if (keys.Count == 0) return null;
        var wanted = keys.ToHashSet();
        foreach (var n in identities ?? Enumerable.Range(0, Identities))
        {
            for (var r = 0; r < Rotations; r++)
            {
                using var signer = master.SigningKey(n, r, 0);
                if (wanted.Contains(signer.PublicKey)) return new SigningKeyPath(n, r);
            }
        }

        return null;
    }
}
