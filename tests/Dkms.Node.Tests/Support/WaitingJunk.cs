using Dkms.Client;
using Dkms.Core.Crypto;
using Dkms.Core.Primitives;
using Dkms.Core.Transactions;

namespace Dkms.Node.Tests.Support;

/// <summary>
/// What an attacker makes for nothing: well-formed transactions signed by fresh random keys, for identities that do
/// not exist or at sequences ahead of an identity's next one, so that a node keeps them "waiting for a predecessor".
/// Seeded: the same seed gives the same transactions.
/// </summary>
public sealed class WaitingJunk(TransactionBuilder builder, int seed)
{
    private readonly Random _random = new(seed);
    private int _made;

    public Ed25519Signer RandomKey()
    {
        var seedBytes = new byte[32];
        _random.NextBytes(seedBytes);
        return Ed25519Signer.FromSeed(seedBytes);
    }

    public IdentityId RandomIdentity()
    {
        var bytes = new byte[IdentityId.Size];
        _random.NextBytes(bytes);
        return IdentityId.FromBytes(bytes);
    }

    /// <summary>For an identity nobody incepted, at a sequence from 2 to 5.</summary>
    public Transaction ForUnknownIdentity() => SignedByStranger(RandomIdentity(), (ulong)_random.Next(2, 6));

    /// <summary>For <paramref name="id"/> at <paramref name="sequence"/>, signed by a key that is not the identity's.</summary>
    public Transaction SignedByStranger(IdentityId id, ulong sequence)
    {
        var signer = RandomKey();
        _made++;
        if (_random.Next(2) == 0)
        {
            var next = RandomKey().PublicKey;
            return builder.Rotation(id, sequence, new KeyConfig([signer.PublicKey], 1, [next.Digest()], 1), [signer]);
        }

        return builder.AddKeyAgreementKey(id, sequence, new KeyAgreementKeyEntry($"junk-{_made}", RandomKey().PublicKey, "encryption"), [signer]);
    }

    /// <summary>One piece of junk: for an unknown identity, or for one of <paramref name="known"/> (with the sequence it
    /// has committed or has pending, whichever is higher) one to a hundred sequences ahead.</summary>
    public Transaction Next(IReadOnlyList<(IdentityId Id, ulong Sequence)> known)
    {
        if (known.Count == 0 || _random.Next(3) == 0) return ForUnknownIdentity();
        var (id, sequence) = known[_random.Next(known.Count)];
        var ahead = _random.Next(3) == 0 ? 1UL : (ulong)_random.Next(2, 101);
        return SignedByStranger(id, sequence + ahead);
    }

    public int Next(int maxExclusive) => _random.Next(maxExclusive);
}
