using System.Security.Cryptography;
using Dkms.Wallet.Keys;
using Dkms.Wallet.Storage;

namespace Dkms.Wallet.Recovery;

/// <summary>
/// Offline recovery as one file: a wallet file holding only the master secret, locked with a random
/// 32-byte recovery key that the user writes down (shown as 16 groups of 4 hex digits).
/// </summary>
public static class RecoveryFile
{
    /// <summary>Writes the recovery file and returns the recovery key text to write down.</summary>
    public static string Create(string path, MasterSecret master, IRandomSource? random = null)
    {
        random ??= SystemRandomSource.Instance;
        var key = new byte[32];
        random.Fill(key);
        try
        {
            WalletFile.Create(path, key, master, random).Dispose();
            return string.Join('-', Convert.ToHexStringLower(key).Chunk(4).Select(c => new string(c)));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>The master secret from a recovery file and its written-down key (dashes and spaces ignored).</summary>
    public static MasterSecret Restore(string path, string recoveryKey)
    {
        var hex = new string(recoveryKey.Where(Uri.IsHexDigit).ToArray());
        if (hex.Length != 64) throw new WalletException(WalletError.WrongKeyOrTampered, "a recovery key is 64 hex digits");
        var key = Convert.FromHexString(hex);
        try
        {
            using var file = WalletFile.Open(path, key);
            return MasterSecret.FromBytes(file.Master.Export());
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }
}
