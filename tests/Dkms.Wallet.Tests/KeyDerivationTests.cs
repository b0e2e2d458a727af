using Dkms.Core.Crypto;
using Dkms.Wallet.Keys;

namespace Dkms.Wallet.Tests;

public class KeyDerivationTests
{
    private static MasterSecret Master(int seed) => MasterSecret.Generate(new SeededRandom(seed));

    [Fact]
    public void The_same_master_secret_derives_the_same_keys()
    {
        using var a = Master(1);
        using var b = MasterSecret.FromBytes(a.Export());
        using var sa = a.SigningKey(0, 3, 1);
        using var sb = b.SigningKey(0, 3, 1);
        Assert.Equal(sa.PublicKey, sb.PublicKey);
        using var aa = a.AgentKey(0, "phone");
        using var ab = b.AgentKey(0, "phone");
        Assert.Equal(aa.PublicKey, ab.PublicKey);
        using var xa = a.KeyAgreementKey(2, 0);
        using var xb = b.KeyAgreementKey(2, 0);
        Assert.Equal(xa.PublicKey, xb.PublicKey);
    }

    [Fact]
    public void Every_path_gives_a_distinct_key()
    {
        using var master = Master(2);
        var keys = new List<string>();
        for (var identity = 0; identity < 3; identity++)
        {
            for (var rotation = 0; rotation < 3; rotation++)
            {
                keys.AddRange(master.SigningPublicKeys(identity, rotation, 3).Select(k => k.ToHex()));
            }

            using var agent = master.AgentKey(identity, "0");
            using var ka = master.KeyAgreementKey(identity, 0);
            keys.Add(agent.PublicKey.ToHex());
            keys.Add(ka.PublicKey.ToHex());
        }

        Assert.Equal(keys.Count, keys.Distinct().Count());
    }

    [Fact]
    public void A_different_master_secret_derives_different_keys()
    {
        using var a = Master(3);
        using var b = Master(4);
        Assert.NotEqual(a.SigningPublicKeys(0, 0, 1)[0], b.SigningPublicKeys(0, 0, 1)[0]);
    }

    [Fact]
    public void Derived_signers_produce_valid_signatures()
    {
        using var master = Master(5);
        using var signer = master.SigningKey(1, 0, 0);
        var message = "inception"u8.ToArray();
        Assert.True(Ed25519.Verify(signer.PublicKey, message, signer.Sign(message)));
    }

    [Theory]
    [InlineData(0, 1, 1)]
    [InlineData(1, 3, 2)]
    [InlineData(5, 5, 3)]
    public void Rotation_r_commits_to_the_digests_of_the_keys_of_rotation_r_plus_1(int rotation, int count, int threshold)
    {
        using var master = Master(6);
        var current = master.RotationKeys(0, rotation, count, threshold);
        var next = master.RotationKeys(0, rotation + 1, count, threshold);
        Assert.Equal(count, current.Keys.Count);
        Assert.Equal(threshold, current.Threshold);
        Assert.Equal(next.Keys.Select(k => k.Digest()), current.NextKeyDigests);
        Assert.Empty(current.Keys.Intersect(next.Keys));
    }

    [Fact]
    public void Labels_follow_the_documented_paths()
    {
        Assert.Equal("dkms/v1/identity/2/signing/3/1", KeyPaths.Signing(2, 3, 1));
        Assert.Equal("dkms/v1/identity/0/agent/phone", KeyPaths.Agent(0, "phone"));
        Assert.Equal("dkms/v1/identity/0/key-agreement/4", KeyPaths.KeyAgreement(0, 4));
        Assert.Equal("dkms/v1/kek/backups/7", KeyPaths.Kek("backups", 7));
        Assert.Throws<ArgumentException>(() => KeyPaths.Agent(0, "a/b"));
    }

    [Fact]
    public void A_disposed_master_secret_refuses_to_derive()
    {
        var master = Master(7);
        master.Dispose();
        Assert.Throws<ObjectDisposedException>(() => master.SigningKey(0, 0, 0));
    }
}
