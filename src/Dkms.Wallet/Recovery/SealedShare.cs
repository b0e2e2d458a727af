using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Dkms.Core.Primitives;
using Dkms.Wallet.Encryption;
using Dkms.Wallet.Keys;
using Dkms.Wallet.Shamir;
using MessagePack;

namespace Dkms.Wallet.Recovery;

/// <summary>
/// A social-recovery share sealed to one holder's X25519 key (a trustee, or a requester after
/// re-sealing). The labels are in the clear so a holder can see what it holds, and are bound as the
/// sealed box context: altering one makes the box fail to open.
/// </summary>
[MessagePackObject]
public sealed record SealedShare(
    [property: Key(0)] string Owner,
    [property: Key(1)] ulong ShareSetId,
    [property: Key(2)] byte Threshold,
    [property: Key(3)] byte ShareIndex,
    [property: Key(4)] PublicKey Holder,
    [property: Key(5)] byte[] Box)
{
    /// <summary>The longest owner label a sealed share carries (a did is far shorter).</summary>
    public const int MaxOwnerLength = 256;

    /// <summary>The largest box a genuine share makes: the longest share encoding, sealed.</summary>
    public const int MaxBoxLength = ShamirShare.MaxEncodedLength + SealedBox.Overhead;

    public override string ToString() => $"SealedShare({Owner}, set {ShareSetId:x16}, share {ShareIndex + 1}, threshold {Threshold}, to {Holder})";

    /// <summary>Refuses labels no genuine share carries, before any decryption work.</summary>
    internal void CheckLabels()
    {
        if (string.IsNullOrEmpty(Owner) || Owner.Length > MaxOwnerLength) throw Malformed("its owner label is empty or too long");
        if (Threshold is < SecretSharing.MinThreshold or > SecretSharing.MaxShares) throw Malformed($"it claims threshold {Threshold}; a split has a threshold of 2..16");
        if (ShareIndex >= SecretSharing.MaxShares) throw Malformed($"it claims index {ShareIndex}; a split has indices 0..15");
        if (Box is null || Box.Length > MaxBoxLength) throw Malformed("its box is missing or larger than any share");
    }

    private static ShareException Malformed(string why) => new(ShareError.Malformed, $"sealed share is malformed: {why}");

    internal byte[] Context() => Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture,
        $"dkms/v1/recovery-share/{Owner}/{ShareSetId:x16}/{Threshold}/{ShareIndex}"));
}

/// <summary>Sealing, unsealing and re-sealing of social-recovery shares (SPEC §4).</summary>
public static class ShareSealing
{
    /// <summary>Seals <paramref name="share"/> of <paramref name="owner"/>'s master secret to a trustee's key-agreement key.</summary>
    public static SealedShare Seal(ShamirShare share, string owner, PublicKey holder, IRandomSource? random = null)
    {
        SecretSharing.Check(share);
        var sealedShare = new SealedShare(owner, share.SetId, share.Threshold, share.Index, holder, []);
        var plain = share.ToBytes();
        try
        {
            return sealedShare with { Box = SealedBox.Seal(holder, plain, sealedShare.Context(), random) };
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plain);
        }
    }

    /// <summary>
    /// Opens a share held by <paramref name="holder"/>, checking that it belongs to
    /// <paramref name="expectedOwner"/> and, when given, to <paramref name="expectedSetId"/>.
    /// </summary>
    public static ShamirShare Unseal(SealedShare sealedShare, X25519KeyPair holder, string expectedOwner, ulong? expectedSetId = null)
    {
        sealedShare.CheckLabels();
        if (sealedShare.Owner != expectedOwner || (expectedSetId is { } id && sealedShare.ShareSetId != id))
        {
            throw new ShareException(ShareError.ForeignShare, $"share is labelled for {sealedShare.Owner} set {sealedShare.ShareSetId:x16}, not the expected owner/set");
        }

        if (sealedShare.Holder != holder.PublicKey) throw new DecryptionException("share is sealed to another holder");
        var plain = SealedBox.Open(holder, sealedShare.Box, sealedShare.Context());
        try
        {
            var share = ShamirShare.FromBytes(plain); // refuses impossible thresholds, indices and lengths
            if (share.SetId != sealedShare.ShareSetId || share.Threshold != sealedShare.Threshold || share.Index != sealedShare.ShareIndex)
            {
                throw new ShareException(ShareError.ForeignShare, "sealed share content does not match its labels");
            }

            return share;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plain);
        }
    }

    /// <summary>A trustee re-seals its share to a requester's fresh key, keeping the labels.</summary>
    public static SealedShare Reseal(SealedShare sealedShare, X25519KeyPair trustee, PublicKey requester, IRandomSource? random = null)
    {
        var share = Unseal(sealedShare, trustee, sealedShare.Owner, sealedShare.ShareSetId);
        try
        {
            return Seal(share, sealedShare.Owner, requester, random);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(share.Value);
        }
    }
}
