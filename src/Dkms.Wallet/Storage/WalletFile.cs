using System.Security.Cryptography;
using Dkms.Core.Encoding;
using Dkms.Wallet.Encryption;
using Dkms.Wallet.Keys;

namespace Dkms.Wallet.Storage;

/// <summary>
/// An unlocked wallet file. The content (<see cref="WalletContent"/>) is encrypted with
/// XChaCha20-Poly1305 under a random content key; the content key is wrapped under a key from
/// Argon2id(passphrase, salt) or under a raw 32-byte key. Every write is atomic (<see cref="AtomicFile"/>).
/// </summary>
public sealed class WalletFile : IDisposable
{
    private readonly IRandomSource _random;
    private byte[] _contentKey;
    private WalletHeader _header;
    private byte[] _body; // content nonce || ciphertext, as on disk

    private WalletFile(string path, WalletContent content, byte[] contentKey, WalletHeader header, byte[] body, IRandomSource random)
    {
        Path = path;
        Content = content;
        _contentKey = contentKey;
        _header = header;
        _body = body;
        _random = random;
        Master = MasterSecret.FromBytes(content.MasterSecret);
    }

    public string Path { get; }

    public WalletContent Content { get; }

    public MasterSecret Master { get; }

    /// <summary>Test hook passed to <see cref="AtomicFile.Write"/>: runs between the durable temp file and the rename.</summary>
    internal Action<string>? BeforeRename { get; set; }

    public static WalletFile Create(string path, string passphrase, KdfParameters? kdf = null, MasterSecret? master = null, IRandomSource? random = null)
    {
        using var unlock = Unlock.Passphrase(passphrase, kdf ?? KdfParameters.Default);
        return CreateCore(path, unlock, master, random ?? SystemRandomSource.Instance);
    }

    public static WalletFile Create(string path, ReadOnlySpan<byte> rawKey, MasterSecret? master = null, IRandomSource? random = null)
    {
        using var unlock = Unlock.Raw(rawKey);
        return CreateCore(path, unlock, master, random ?? SystemRandomSource.Instance);
    }

    public static WalletFile Open(string path, string passphrase, IRandomSource? random = null)
    {
        using var unlock = Unlock.Passphrase(passphrase, null);
        return OpenCore(path, unlock, random ?? SystemRandomSource.Instance);
    }

    public static WalletFile Open(string path, ReadOnlySpan<byte> rawKey, IRandomSource? random = null)
    {
        using var unlock = Unlock.Raw(rawKey);
        return OpenCore(path, unlock, random ?? SystemRandomSource.Instance);
    }

    /// <summary>Re-encrypts the content (fresh nonce, same content key) and writes it atomically.</summary>
    public void Save()
    {
        var plain = Codec.Encode(Content);
        try
        {
            _body = SealContent(_contentKey, plain, _random);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plain);
        }

        Write();
    }

    /// <summary>Rewraps the content key under a new passphrase; the content ciphertext is kept byte for byte.</summary>
    public void ChangePassphrase(string newPassphrase, KdfParameters? kdf = null)
    {
        using var unlock = Unlock.Passphrase(newPassphrase, kdf ?? KdfParameters.Default);
        var header = WrapHeader(unlock, _contentKey, _random);
        Write(header);
        _header = header; // only once the new header is on disk, so a failed write keeps the old passphrase in force
    }

    /// <summary>Rewraps the content key under a raw 32-byte key.</summary>
    public void ChangeToRawKey(ReadOnlySpan<byte> rawKey)
    {
        using var unlock = Unlock.Raw(rawKey);
        var header = WrapHeader(unlock, _contentKey, _random);
        Write(header);
        _header = header;
    }

    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(_contentKey);
        CryptographicOperations.ZeroMemory(Content.MasterSecret);
        Master.Dispose();
        _contentKey = [];
    }

    public override string ToString() => $"WalletFile({Path})";

    private void Write() => Write(_header);

    private void Write(WalletHeader header) => AtomicFile.Write(Path, [.. header.Encode(), .. _body], BeforeRename);

    private static WalletFile CreateCore(string path, Unlock unlock, MasterSecret? master, IRandomSource random)
    {
        if (File.Exists(path)) throw new IOException($"{path} already exists");
        var contentKey = new byte[Aead.KeySize];
        random.Fill(contentKey);
        byte[] secret;
        if (master is null)
        {
            secret = new byte[MasterSecret.Size];
            random.Fill(secret);
        }
        else
        {
            secret = master.Export();
        }

        var content = new WalletContent { MasterSecret = secret };
        var wallet = new WalletFile(path, content, contentKey, WrapHeader(unlock, contentKey, random), [], random);
        wallet.Save();
        return wallet;
    }

    private static WalletFile OpenCore(string path, Unlock unlock, IRandomSource random)
    {
        var bytes = File.ReadAllBytes(path);
        var header = WalletHeader.Decode(bytes);
        var body = bytes[WalletHeader.Size..];
        if (body.Length < Aead.NonceSize + Aead.TagSize) throw new WalletException(WalletError.Malformed, "wallet file is truncated");
        var wrapKey = unlock.KeyFor(header);
        var encodedHeader = header.Encode();
        byte[] contentKey;
        try
        {
            contentKey = Aead.Open(wrapKey, header.WrapNonce, encodedHeader.AsSpan(0, WalletHeader.KdfEnd), header.WrappedKey)
                ?? throw new WalletException(WalletError.WrongKeyOrTampered, "wrong passphrase or key, or the wallet header was altered");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(wrapKey);
        }

        var plain = Aead.Open(contentKey, body.AsSpan(0, Aead.NonceSize), WalletHeader.ContentAd(), body.AsSpan(Aead.NonceSize));
        if (plain is null)
        {
            CryptographicOperations.ZeroMemory(contentKey);
            throw new WalletException(WalletError.Tampered, "wallet content does not authenticate: the file was altered");
        }

        try
        {
            if (!Codec.TryDecode<WalletContent>(plain, out var content, out var error) || content is null || content.MasterSecret.Length != MasterSecret.Size)
            {
                throw new WalletException(WalletError.Malformed, $"wallet content is not valid: {error}");
            }

            return new WalletFile(path, content, contentKey, header, body, random);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plain);
        }
    }

    private static byte[] SealContent(byte[] contentKey, byte[] plain, IRandomSource random)
    {
        var nonce = new byte[Aead.NonceSize];
        random.Fill(nonce);
        return [.. nonce, .. Aead.Seal(contentKey, nonce, WalletHeader.ContentAd(), plain)];
    }

    private static WalletHeader WrapHeader(Unlock unlock, byte[] contentKey, IRandomSource random)
    {
        var salt = new byte[WalletHeader.SaltSize];
        var nonce = new byte[Aead.NonceSize];
        random.Fill(salt);
        random.Fill(nonce);
        var kdf = unlock.Kdf;
        var header = new WalletHeader(unlock.KdfId, kdf?.MemoryKib ?? 0, kdf?.Iterations ?? 0,
            (byte)(kdf is null ? 0 : KdfParameters.Parallelism), salt, nonce, new byte[WalletHeader.WrappedKeySize]);
        var wrapKey = unlock.KeyFor(header);
        try
        {
            var wrapped = Aead.Seal(wrapKey, nonce, header.Encode().AsSpan(0, WalletHeader.KdfEnd), contentKey);
            return header with { WrappedKey = wrapped };
        }
        finally
        {
            CryptographicOperations.ZeroMemory(wrapKey);
        }
    }

    /// <summary>How the content key is wrapped: a passphrase through Argon2id, or a raw key used directly.</summary>
    private sealed class Unlock : IDisposable
    {
        private string? _passphrase;
        private byte[]? _raw;

        public KdfParameters? Kdf { get; private init; }

        public byte KdfId => _raw is null ? WalletHeader.KdfArgon2id : WalletHeader.KdfRaw;

        public static Unlock Passphrase(string passphrase, KdfParameters? kdf) => new() { _passphrase = passphrase, Kdf = kdf };

        public static Unlock Raw(ReadOnlySpan<byte> key) =>
            key.Length == Aead.KeySize ? new Unlock { _raw = key.ToArray() } : throw new ArgumentException("a raw wallet key is 32 bytes");

        /// <summary>The wrapping key for <paramref name="header"/>, using the header's own KDF parameters.</summary>
        public byte[] KeyFor(WalletHeader header)
        {
            if (header.KdfId != KdfId)
            {
                throw new WalletException(WalletError.WrongKeyKind,
                    header.KdfId == WalletHeader.KdfRaw ? "this wallet is unlocked with a raw key" : "this wallet is unlocked with a passphrase");
            }

            if (_raw is not null) return (byte[])_raw.Clone();
            if (header.Parallelism != KdfParameters.Parallelism || header.MemoryKib < 8 || header.MemoryKib > 4 * 1024 * 1024
                || header.Iterations is < 1 or > 100)
            {
                throw new WalletException(WalletError.WrongKeyOrTampered, "wallet header has invalid Argon2id parameters");
            }

            return new KdfParameters(header.MemoryKib, header.Iterations).Derive(_passphrase!, header.Salt);
        }

        public void Dispose()
        {
            if (_raw is not null) CryptographicOperations.ZeroMemory(_raw);
        }
    }
}
