using MessagePack;

namespace Dkms.Wallet.Storage;

/// <summary>One identity managed by the wallet. <see cref="Number"/> is its index in the key paths.</summary>
[MessagePackObject]
public sealed class IdentityEntry
{
    [Key(0)] public int Number { get; set; }
    /// <summary>did:dkms:… once the ledger has accepted the inception; null before.</summary>
    [Key(1)] public string? IdentityId { get; set; }
    [Key(2)] public string Label { get; set; } = "";
    /// <summary>The rotation whose keys are current; rotation + 1 holds the committed next keys.</summary>
    [Key(3)] public int Rotation { get; set; }
    [Key(4)] public int SigningKeyCount { get; set; } = 1;
    [Key(5)] public int SigningThreshold { get; set; } = 1;
    [Key(6)] public int KeyAgreementIndex { get; set; }
    [Key(7)] public List<string> Agents { get; set; } = [];
    // Keys 8.. were added for the dkms CLI; files written before them decode with the defaults.
    /// <summary>The chain the identity lives on (null before registration).</summary>
    [Key(8)] public string? ChainId { get; set; }
    /// <summary>How many keys rotation + 1 has (committed as next-key digests); null means <see cref="SigningKeyCount"/>.</summary>
    [Key(9)] public int? NextKeyCount { get; set; }
    /// <summary>The threshold committed for rotation + 1; null means <see cref="SigningThreshold"/>.</summary>
    [Key(10)] public int? NextThreshold { get; set; }
    /// <summary>A holder of agent keys only: never registered on the ledger.</summary>
    [Key(11)] public bool LocalOnly { get; set; }
    /// <summary>Keys proposed by a social recovery of <see cref="IdentityId"/>, not yet finalized.</summary>
    [Key(12)] public bool RecoveryPending { get; set; }

    [IgnoreMember] public int NextCount => NextKeyCount ?? SigningKeyCount;

    [IgnoreMember] public int NextKeyThreshold => NextThreshold ?? SigningThreshold;
}

/// <summary>A key-encrypting key: its name and current version (the key itself is derived from the master secret).</summary>
[MessagePackObject]
public sealed class KekEntry
{
    [Key(0)] public string Name { get; set; } = "";
    [Key(1)] public int CurrentVersion { get; set; } = 1;
}

/// <summary>The encrypted part of the wallet file.</summary>
[MessagePackObject]
public sealed class WalletContent
{
    [Key(0)] public byte[] MasterSecret { get; set; } = [];
    [Key(1)] public List<IdentityEntry> Identities { get; set; } = [];
    [Key(2)] public List<KekEntry> Keks { get; set; } = [];

    /// <summary>Adds an identity with the next free number (its position in the key paths).</summary>
    public IdentityEntry AddIdentity(string label, int signingKeyCount = 1, int signingThreshold = 1)
    {
        if (signingThreshold < 1 || signingThreshold > signingKeyCount) throw new ArgumentOutOfRangeException(nameof(signingThreshold));
        var entry = new IdentityEntry
        {
            Number = Identities.Count == 0 ? 0 : Identities.Max(i => i.Number) + 1,
            Label = label,
            SigningKeyCount = signingKeyCount,
            SigningThreshold = signingThreshold,
        };
        Identities.Add(entry);
        return entry;
    }

    /// <summary>The current version of KEK <paramref name="name"/>, creating it at version 1.</summary>
    public int KekVersion(string name)
    {
        var kek = Keks.Find(k => k.Name == name);
        if (kek is null)
        {
            kek = new KekEntry { Name = name, CurrentVersion = 1 };
            Keks.Add(kek);
        }

        return kek.CurrentVersion;
    }

    /// <summary>Rotates KEK <paramref name="name"/>: new envelopes use the returned version; old ones are rewrapped to it.</summary>
    public int RotateKek(string name)
    {
        KekVersion(name);
        return ++Keks.Find(k => k.Name == name)!.CurrentVersion;
    }

    public override string ToString() => $"WalletContent({Identities.Count} identities, {Keks.Count} KEKs)";
}
