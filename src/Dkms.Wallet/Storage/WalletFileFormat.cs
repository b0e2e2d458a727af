using System.Buffers.Binary;
using System.Text;

namespace Dkms.Wallet.Storage;

/// <summary>
/// The plain header of a wallet file (all integers big-endian):
/// magic "DKMSWLT" (7) | format version (1) | KDF id (1: 0 raw key, 1 Argon2id) | memory KiB (4) |
/// iterations (4) | parallelism (1) | salt (16) | wrap nonce (24) | wrapped content key (48) |
/// content nonce (24) | content ciphertext (rest).
/// </summary>
internal sealed record WalletHeader(byte KdfId, int MemoryKib, int Iterations, byte Parallelism, byte[] Salt, byte[] WrapNonce, byte[] WrappedKey)
{
    public const byte Version = 1;
    public const byte KdfRaw = 0;
    public const byte KdfArgon2id = 1;
    public const int SaltSize = 16;
    public const int WrappedKeySize = 32 + 16;
    public static readonly byte[] Magic = Encoding.ASCII.GetBytes("DKMSWLT");

    /// <summary>Bytes authenticated by the key wrap: everything before the wrap nonce, so a changed KDF parameter fails to unlock.</summary>
    public const int KdfEnd = 7 + 1 + 1 + 4 + 4 + 1 + SaltSize;
    public const int Size = KdfEnd + 24 + WrappedKeySize;

    public byte[] Encode()
    {
        var b = new byte[Size];
        Magic.CopyTo(b, 0);
        b[7] = Version;
        b[8] = KdfId;
        BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(9), MemoryKib);
        BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(13), Iterations);
        b[17] = Parallelism;
        Salt.CopyTo(b, 18);
        WrapNonce.CopyTo(b, KdfEnd);
        WrappedKey.CopyTo(b, KdfEnd + 24);
        return b;
    }

    public static WalletHeader Decode(ReadOnlySpan<byte> b)
    {
        if (b.Length < Size || !b[..7].SequenceEqual(Magic)) throw new WalletException(WalletError.Malformed, "not a DKMS wallet file");
        if (b[7] != Version) throw new WalletException(WalletError.UnsupportedVersion, $"unsupported wallet format version {b[7]}");
        return new WalletHeader(b[8], BinaryPrimitives.ReadInt32BigEndian(b[9..]), BinaryPrimitives.ReadInt32BigEndian(b[13..]), b[17],
            b.Slice(18, SaltSize).ToArray(), b.Slice(KdfEnd, 24).ToArray(), b.Slice(KdfEnd + 24, WrappedKeySize).ToArray());
    }

    /// <summary>The content is bound to the format only, so a passphrase change (new salt, new wrap) leaves it valid.</summary>
    public static byte[] ContentAd() => [.. Magic, Version];
}
