using Dkms.Core.Primitives;
using Dkms.Wallet.Crypto;
using Dkms.Wallet.Keys;
using Dkms.Wallet.Recovery;
using Dkms.Wallet.Shamir;

namespace Dkms.Wallet.Tests;

public class KeyHierarchyAndEncryptionTests
{
    private static KeyHierarchy Keys(byte seed = 1) => KeyHierarchy.FromMasterSecret(Enumerable.Repeat(seed, 32).ToArray());

    [Fact]
    public void Restoring_the_master_secret_restores_every_key()
    {
        using var original = KeyHierarchy.Generate();
        using var restored = KeyHierarchy.FromMasterSecret(original.ExportMasterSecret());
        Assert.Equal(original.SigningKey(0, 3, 1).PublicKey, restored.SigningKey(0, 3, 1).PublicKey);
        Assert.Equal(original.AgentKey(2, "phone").PublicKey, restored.AgentKey(2, "phone").PublicKey);
        Assert.Equal(original.KeyAgreementKey(0, 0).PublicKey, restored.KeyAgreementKey(0, 0).PublicKey);
        Assert.Equal(original.KeyEncryptionKey("docs", 1), restored.KeyEncryptionKey("docs", 1));
    }

    [Fact]
    public void Different_paths_give_different_keys()
    {
        using var k = Keys();
        var all = new[]
        {
            k.SigningKey(0, 0, 0).PublicKey, k.SigningKey(0, 0, 1).PublicKey, k.SigningKey(0, 1, 0).PublicKey,
            k.SigningKey(1, 0, 0).PublicKey, k.AgentKey(0, "a").PublicKey, k.AgentKey(0, "b").PublicKey,
        };
        Assert.Equal(all.Length, all.Distinct().Count());
        using var other = Keys(2);
        Assert.NotEqual(k.SigningKey(0, 0, 0).PublicKey, other.SigningKey(0, 0, 0).PublicKey);
    }

    [Fact]
    public void Signing_config_commits_to_the_next_rotations_keys()
    {
        using var k = Keys();
        var cfg = k.SigningConfig(0, rotation: 2, keyCount: 3, threshold: 2);
        Assert.Equal(k.SigningKey(0, 2, 1).PublicKey, cfg.SigningKeys[1]);
        Assert.Equal(k.SigningKey(0, 3, 2).PublicKey.Digest(), cfg.NextKeyDigests[2]);
        Assert.Equal(2, cfg.Threshold);
    }

    [Fact]
    public void Sealed_box_opens_only_for_its_recipient_and_context()
    {
        using var k = Keys();
        using var bob = k.KeyAgreementKey(0, 0);
        using var eve = k.KeyAgreementKey(0, 1);
        var box = SealedBox.Seal(bob.PublicKey, "hello"u8, "ctx"u8);
        Assert.Equal("hello"u8.ToArray(), SealedBox.Open(bob, box, "ctx"u8));
        Assert.Throws<WalletException>(() => SealedBox.Open(eve, box, "ctx"u8));
        Assert.Throws<WalletException>(() => SealedBox.Open(bob, box, "other"u8));
        box[^1] ^= 1;
        Assert.Throws<WalletException>(() => SealedBox.Open(bob, box, "ctx"u8));
    }

    [Fact]
    public void Envelope_rewrap_after_kek_rotation_keeps_the_ciphertext_and_decrypts()
    {
        using var k = Keys();
        var data = new byte[10_000];
        new Random(3).NextBytes(data);
        var v1 = Envelope.Encrypt(k, "documents", 1, data);
        var v2 = v1.Rewrap(k, 2);
        Assert.Equal(v1.Ciphertext, v2.Ciphertext);
        Assert.NotEqual(v1.WrappedDataKey, v2.WrappedDataKey);
        Assert.Equal(2, v2.KekVersion);
        Assert.Equal(data, v2.Decrypt(k));
        Assert.Throws<WalletException>(() => (v2 with { KekVersion = 1 }).Decrypt(k));
        using var stranger = Keys(7);
        Assert.Throws<WalletException>(() => v1.Decrypt(stranger));
    }

    [Fact]
    public void Each_envelope_has_its_own_data_key()
    {
        using var k = Keys();
        var a = Envelope.Encrypt(k, "n", 1, "same"u8);
        var b = Envelope.Encrypt(k, "n", 1, "same"u8);
        Assert.NotEqual(a.Ciphertext, b.Ciphertext);
        Assert.NotEqual(a.WrappedDataKey, b.WrappedDataKey);
    }

    [Fact]
    public void Social_recovery_shares_reseal_to_a_requester_and_combine()
    {
        using var owner = Keys(1);
        var ownerId = IdentityId.Derive("owner"u8);
        var trusteeKeys = Enumerable.Range(0, 5).Select(i => KeyHierarchy.FromMasterSecret(Enumerable.Repeat((byte)(10 + i), 32).ToArray()).KeyAgreementKey(0, 0)).ToArray();
        var secret = owner.ExportMasterSecret();
        var sealedShares = SealedShare.SplitAndSeal(ownerId, secret, 3, [.. trusteeKeys.Select(t => t.PublicKey)]);

        using var requester = AgreementKey.Generate();
        var resealed = new[] { 4, 0, 2 }.Select(i => sealedShares[i].Reseal(trusteeKeys[i], requester.PublicKey)).ToArray();
        Assert.Equal(secret, SealedShare.Combine(resealed, requester, ownerId));

        Assert.Throws<ShareException>(() => SealedShare.Combine(resealed[..2], requester, ownerId));
        Assert.Throws<ShareException>(() => resealed[0].Unseal(requester, IdentityId.Derive("someone else"u8)));
        // A share relabelled as another index no longer opens: the label is bound to the sealed bytes.
        Assert.Throws<WalletException>(() => (resealed[0] with { Label = resealed[0].Label with { Index = 9 } }).Unseal(requester, ownerId));
        // A trustee cannot open a share sealed to another trustee.
        Assert.Throws<WalletException>(() => sealedShares[1].Reseal(trusteeKeys[0], requester.PublicKey));
    }

    [Fact]
    public void Share_from_another_set_is_detected_when_combining()
    {
        var ownerId = IdentityId.Derive("owner"u8);
        using var holder = AgreementKey.Generate();
        var a = SealedShare.SplitAndSeal(ownerId, new byte[32], 2, [holder.PublicKey, holder.PublicKey]);
        var b = SealedShare.SplitAndSeal(ownerId, Enumerable.Repeat((byte)1, 32).ToArray(), 2, [holder.PublicKey, holder.PublicKey]);
        Assert.Throws<ShareException>(() => SealedShare.Combine([a[0], b[1]], holder, ownerId));
    }
}
