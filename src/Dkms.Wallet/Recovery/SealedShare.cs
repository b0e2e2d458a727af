using Dkms.Core.Encoding;
using Dkms.Core.Primitives;
using Dkms.Wallet.Crypto;
using Dkms.Wallet.Keys;
using Dkms.Wallet.Shamir;
using MessagePack;

namespace Dkms.Wallet.Recovery;

/// <summary>Who a social-recovery share belongs to: the owner, the share set, its threshold and the share's index.</summary>
[MessagePackObject]
public sealed record ShareLabel(
    [property: Key(0)] IdentityId Owner,
    [property: Key(1)] byte[] SetId,
    [property: Key(2)] int Threshold,
    [property: Key(3)] int Index);

/// <summary>
/// A Shamir share of an owner's master secret sealed to one holder's X25519 key. The label is
/// bound as associated data, so a share cannot be passed off as belonging to another owner or set.
/// </summary>
[MessagePackObject]
public sealed record SealedShare(
    [property: Key(0)] ShareLabel Label,
    [property: Key(1)] byte[] Sealed)
{
    /// <summary>Splits <paramref name="masterSecret"/> threshold-of-n and seals share i to <paramref name="trustees"/>[i].</summary>
    public static SealedShare[] SplitAndSeal(IdentityId owner, byte[] masterSecret, int threshold, IReadOnlyList<PublicKey> trustees)
    {
        var setId = System.Security.Cryptography.RandomNumberGenerator.GetBytes(16);
        var shares = SecretSharing.Split(threshold, trustees.Count, masterSecret);
        return [.. shares.Select((s, i) => Seal(new ShareLabel(owner, setId, threshold, s.Index), s.Value, trustees[i]))];
    }

    public static SealedShare Seal(ShareLabel label, byte[] share, PublicKey holder) => new(label, SealedBox.Seal(holder, share, Codec.Encode(label)));

    /// <summary>Opens the share with the holder's key, checking it is a share of <paramref name="expectedOwner"/>.</summary>
    public Share Unseal(AgreementKey holder, IdentityId expectedOwner)
    {
        if (Label.Owner != expectedOwner) throw new ShareException($"this share belongs to {Label.Owner}, not {expectedOwner}");
        return new Share((byte)Label.Index, SealedBox.Open(holder, Sealed, Codec.Encode(Label)));
    }

    /// <summary>A trustee's step: open with its own key and seal again to the requester's fresh key.</summary>
    public SealedShare Reseal(AgreementKey trustee, PublicKey requester) =>
        Seal(Label, Unseal(trustee, Label.Owner).Value, requester);

    /// <summary>Combines shares opened by the requester; all must be of one owner and set, and the digest check catches a forged share.</summary>
    public static byte[] Combine(IReadOnlyList<SealedShare> shares, AgreementKey requester, IdentityId owner)
    {
        if (shares.Count == 0) throw new ShareException("no shares given");
        var label = shares[0].Label;
        if (shares.Any(s => !s.Label.SetId.AsSpan().SequenceEqual(label.SetId) || s.Label.Threshold != label.Threshold))
        {
            throw new ShareException("shares come from different share sets");
        }

        return SecretSharing.Combine(label.Threshold, [.. shares.Select(s => s.Unseal(requester, owner))]);
    }
}
