using System.Buffers.Binary;
using NSec.Cryptography;

namespace Dkms.Network;

/// <summary>What opening a sealed packet found.</summary>
internal enum OpenResult
{
    Ok,

    /// <summary>Does not authenticate under the claimed counter: made or altered by someone without the key.</summary>
    Forged,

    /// <summary>Authentic, but its counter was already used: a copy of an earlier packet.</summary>
    Replayed,

    /// <summary>Authentic, but ahead of the next counter: an earlier packet is missing or comes later.</summary>
    Reordered,
}

/// <summary>
/// The ephemeral X25519 key of one connection's handshake and, once both Hellos are known, the two
/// ChaCha20-Poly1305 keys of the session (one per direction). Every packet after the handshake is
/// <c>0x04 ‖ counter (u64 BE) ‖ ciphertext ‖ tag (16)</c>; the header is the associated data and the nonce is
/// four zero bytes then the counter, which starts at 0 in each direction and goes up by one per packet. The
/// LiteNetLib stream is reliable and ordered (one channel), so the receiver expects exactly the next counter.
/// </summary>
internal sealed class SecureSession : IDisposable
{
    public const int HeaderSize = 1 + sizeof(ulong);

    public static int TagSize => Aead.TagSize;

    private static readonly AeadAlgorithm Aead = AeadAlgorithm.ChaCha20Poly1305;
    private static readonly KeyAgreementAlgorithm Agreement = KeyAgreementAlgorithm.X25519;
    private static readonly byte[] InitiatorToResponder = "DKMS/p2p/v2 initiator to responder"u8.ToArray();
    private static readonly byte[] ResponderToInitiator = "DKMS/p2p/v2 responder to initiator"u8.ToArray();

    private Key? _ephemeral = Key.Create(Agreement);
    private Key? _sendKey;
    private Key? _receiveKey;
    private ulong _sendCounter;
    private ulong _receiveCounter;

    public SecureSession() => EphemeralPublic = _ephemeral!.PublicKey.Export(KeyBlobFormat.RawPublicKey);

    public byte[] EphemeralPublic { get; }

    public bool Established => _sendKey is not null;

    /// <summary>
    /// Derives the two session keys: HKDF-SHA256 over the X25519 secret, salted with the transcript hash, one
    /// label per direction. The ephemeral private key is destroyed here, so a later key theft cannot open this
    /// session. False for an unusable peer key (not on the curve, or a low-order point giving an all-zero secret).
    /// </summary>
    public bool TryEstablish(ReadOnlySpan<byte> theirEphemeral, HandshakeRole ownRole, ReadOnlySpan<byte> transcriptHash)
    {
        if (_ephemeral is null || _sendKey is not null) throw new InvalidOperationException("session keys already derived");
        try
        {
            if (!NSec.Cryptography.PublicKey.TryImport(Agreement, theirEphemeral, KeyBlobFormat.RawPublicKey, out var theirs) || theirs is null) return false;
            using var secret = Agreement.Agree(_ephemeral, theirs);
            if (secret is null) return false;
            var initiatorKey = KeyDerivationAlgorithm.HkdfSha256.DeriveKey(secret, transcriptHash, InitiatorToResponder, Aead);
            var responderKey = KeyDerivationAlgorithm.HkdfSha256.DeriveKey(secret, transcriptHash, ResponderToInitiator, Aead);
            (_sendKey, _receiveKey) = ownRole == HandshakeRole.Initiator ? (initiatorKey, responderKey) : (responderKey, initiatorKey);
            return true;
        }
        finally
        {
            _ephemeral.Dispose();
            _ephemeral = null;
        }
    }

    /// <summary>
    /// Seals <paramref name="buffer"/>[<see cref="HeaderSize"/>..<paramref name="length"/>] in place under the next
    /// send counter and writes the header; the buffer needs <see cref="TagSize"/> bytes of room past
    /// <paramref name="length"/>. Returns the sealed packet's length.
    /// </summary>
    public int Seal(byte[] buffer, int length)
    {
        if (_sendKey is null) throw new InvalidOperationException("no session keys yet");
        if (_sendCounter == ulong.MaxValue) throw new InvalidOperationException("send counter exhausted; the session must be renewed");
        buffer[0] = Wire.Sealed;
        BinaryPrimitives.WriteUInt64BigEndian(buffer.AsSpan(1), _sendCounter);
        Span<byte> nonce = stackalloc byte[Aead.NonceSize];
        NonceFor(_sendCounter, nonce);
        var plaintext = length - HeaderSize;
        Aead.Encrypt(_sendKey, nonce, buffer.AsSpan(0, HeaderSize), buffer.AsSpan(HeaderSize, plaintext), buffer.AsSpan(HeaderSize, plaintext + TagSize));
        _sendCounter++;
        return length + TagSize;
    }

    /// <summary>
    /// Opens a sealed packet in place. On <see cref="OpenResult.Ok"/> the plaintext is
    /// <paramref name="packet"/>[<see cref="HeaderSize"/>..^<see cref="TagSize"/>] and the receive counter moved on;
    /// otherwise nothing changed and the packet must be dropped.
    /// </summary>
    public OpenResult Open(byte[] packet)
    {
        if (_receiveKey is null) throw new InvalidOperationException("no session keys yet");
        if (packet.Length < HeaderSize + TagSize || packet[0] != Wire.Sealed) return OpenResult.Forged;
        var counter = BinaryPrimitives.ReadUInt64BigEndian(packet.AsSpan(1));
        Span<byte> nonce = stackalloc byte[Aead.NonceSize];
        NonceFor(counter, nonce);
        var sealedLength = packet.Length - HeaderSize;
        // Opened even under a wrong counter, to tell a replay or reordering (authentic) from a forgery.
        var authentic = Aead.Decrypt(_receiveKey, nonce, packet.AsSpan(0, HeaderSize), packet.AsSpan(HeaderSize, sealedLength),
            packet.AsSpan(HeaderSize, sealedLength - TagSize));
        if (!authentic) return OpenResult.Forged;
        if (counter < _receiveCounter) return OpenResult.Replayed;
        if (counter > _receiveCounter) return OpenResult.Reordered;
        _receiveCounter++;
        return OpenResult.Ok;
    }

    public void Dispose()
    {
        _ephemeral?.Dispose();
        _sendKey?.Dispose();
        _receiveKey?.Dispose();
    }

    private static void NonceFor(ulong counter, Span<byte> nonce)
    {
        nonce[..4].Clear();
        BinaryPrimitives.WriteUInt64BigEndian(nonce[4..], counter);
    }
}
