using NSec.Cryptography;

namespace Dkms.Wallet.Storage;

/// <summary>
/// Argon2id costs. Defaults follow the OWASP/libsodium "moderate" profile (64 MiB, 3 passes).
/// libsodium implements a single lane, so parallelism is always 1.
/// </summary>
public sealed record KdfParameters(int MemoryKib = 64 * 1024, int Iterations = 3)
{
    public const int Parallelism = 1;
    public static readonly KdfParameters Default = new();

    internal byte[] Derive(string passphrase, ReadOnlySpan<byte> salt)
    {
        if (MemoryKib < 8 || Iterations < 1) throw new ArgumentException("Argon2id needs at least 8 KiB and 1 pass");
        var algorithm = PasswordBasedKeyDerivationAlgorithm.Argon2id(new Argon2Parameters
        {
            DegreeOfParallelism = Parallelism,
            MemorySize = MemoryKib,
            NumberOfPasses = Iterations,
        });
        return algorithm.DeriveBytes(passphrase, salt, 32);
    }
}
