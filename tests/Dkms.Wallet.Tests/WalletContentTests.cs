using Dkms.Core.Encoding;
using Dkms.Wallet.Storage;
using MessagePack;

namespace Dkms.Wallet.Tests;

public class WalletContentTests
{
    [Fact]
    public void Identities_get_consecutive_numbers()
    {
        var content = new WalletContent();
        Assert.Equal(0, content.AddIdentity("a").Number);
        Assert.Equal(1, content.AddIdentity("b", 3, 2).Number);
        Assert.Throws<ArgumentOutOfRangeException>(() => content.AddIdentity("c", 2, 3));
    }

    [Fact]
    public void A_kek_starts_at_version_1_and_rotation_increments_it()
    {
        var content = new WalletContent();
        Assert.Equal(1, content.KekVersion("docs"));
        Assert.Equal(2, content.RotateKek("docs"));
        Assert.Equal(2, content.KekVersion("docs"));
        Assert.Equal(2, content.RotateKek("new"));
    }

    [Fact]
    public void An_identity_entry_written_before_the_cli_fields_decodes_with_their_defaults()
    {
        var old = Codec.Encode(new EntryBeforeCliFields { Number = 3, IdentityId = "did:dkms:x", Label = "old", Rotation = 2, SigningKeyCount = 3, SigningThreshold = 2, Agents = ["phone"] });
        var entry = Codec.Decode<IdentityEntry>(old);
        Assert.Equal((3, "old", 2, 3, 2), (entry.Number, entry.Label, entry.Rotation, entry.SigningKeyCount, entry.SigningThreshold));
        Assert.Equal(["phone"], entry.Agents);
        Assert.Null(entry.ChainId);
        Assert.Equal((3, 2), (entry.NextCount, entry.NextKeyThreshold));
        Assert.False(entry.LocalOnly || entry.RecoveryPending);
    }

    /// <summary>The shape of <see cref="IdentityEntry"/> before keys 8.. were added.</summary>
    [MessagePackObject]
    public sealed class EntryBeforeCliFields
    {
        [Key(0)] public int Number { get; set; }
        [Key(1)] public string? IdentityId { get; set; }
        [Key(2)] public string Label { get; set; } = "";
        [Key(3)] public int Rotation { get; set; }
        [Key(4)] public int SigningKeyCount { get; set; }
        [Key(5)] public int SigningThreshold { get; set; }
        [Key(6)] public int KeyAgreementIndex { get; set; }
        [Key(7)] public List<string> Agents { get; set; } = [];
    }
}
