using System.Security.Cryptography;
using NSec.Cryptography;

namespace Dkms.Wallet.Files;

/// <summary>Argon2id costs: memory in KiB and passes. Defaults follow RFC 9106's second recommendation (64 MiB, 3 passes).</summary>
public sealed record Argon2Cost(long MemoryKiB = 64 * 1024, long Passes = 3)
{
    /// <summary>Cheap costs for tests only.</summary>
    public static readonly Argon2Cost ForTests = new(8 * 1024, 1);
}

/// <summary>What unlocks a wallet file: a passphrase stretched with Argon2id, or a raw 32-byte key.</summary>
public abstract record WalletKey
{
    internal abstract string Kdf { get; }

    internal abstract byte[] Derive(WalletKdfParameters parameters);

    internal abstract WalletKdfParameters NewParameters();

    public static WalletKey FromPassphrase(string passphrase, Argon2Cost? cost = null) => new PassphraseKey(passphrase, cost ?? new Argon2Cost());

    public static WalletKey FromRawKey(byte[] key) =>
        key.Length == 32 ? new RawKey((byte[])key.Clone()) : throw new ArgumentException("a raw wallet key is 32 bytes", nameof(key));

    private sealed record PassphraseKey(string Passphrase, Argon2Cost Cost) : WalletKey
    {
        internal override string Kdf => "argon2id";

        internal override WalletKdfParameters NewParameters() => new(Kdf, RandomNumberGenerator.GetBytes(16), Cost.MemoryKiB, Cost.Passes);

        internal override byte[] Derive(WalletKdfParameters p)
        {
            if (p.Kdf != Kdf) throw new WalletException($"this wallet is unlocked with a {p.Kdf} key, not a passphrase");
            var argon = PasswordBasedKeyDerivationAlgorithm.Argon2id(new Argon2Parameters
            {
                DegreeOfParallelism = 1,
                MemorySize = p.MemoryKiB,
                NumberOfPasses = p.Passes,
            });
            return argon.DeriveBytes(Passphrase, p.Salt, 32);
        }

        public override string ToString() => "passphrase (hidden)";
    }

    private sealed record RawKey(byte[] Key) : WalletKey
    {
        internal override string Kdf => "raw";

        internal override WalletKdfParameters NewParameters() => new(Kdf, [], 0, 0);

        internal override byte[] Derive(WalletKdfParameters p) =>
            p.Kdf == Kdf ? (byte[])Key.Clone() : throw new WalletException($"this wallet is unlocked with a {p.Kdf}, not a raw key");

        public override string ToString() => "raw key (hidden)";
    }
}
