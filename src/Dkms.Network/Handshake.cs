using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Dkms.Core.Crypto;
using Dkms.Core.Encoding;
using Dkms.Core.Primitives;

namespace Dkms.Network;

/// <summary>
/// The two handshake packets and the signed transcript. Each side sends Hello(fresh nonce), then answers the
/// other's Hello with Auth(key, signature over the transcript). The transcript binds the chain id, both
/// nonces (so it is valid on this connection only) and the signer's key; the ordering "own nonce, then the
/// other's" makes the two signatures of one connection different messages, so neither can be reflected.
/// </summary>
internal static class Handshake
{
    public const int NonceSize = 32;

    /// <summary>[type][version][nonce 32]</summary>
    public const int HelloSize = 2 + NonceSize;

    /// <summary>[type][public key 32][signature 64]</summary>
    public const int AuthSize = 1 + PublicKey.Size + Ed25519.SignatureSize;

    public const byte Version = 1;

    public static byte[] NewNonce() => RandomNumberGenerator.GetBytes(NonceSize);

    public static byte[] EncodeHello(ReadOnlySpan<byte> nonce)
    {
        var packet = new byte[HelloSize];
        packet[0] = Wire.Hello;
        packet[1] = Version;
        nonce.CopyTo(packet.AsSpan(2));
        return packet;
    }

    public static bool TryDecodeHello(ReadOnlySpan<byte> packet, out byte[] nonce)
    {
        nonce = [];
        if (packet.Length != HelloSize || packet[0] != Wire.Hello || packet[1] != Version) return false;
        nonce = packet[2..].ToArray();
        return true;
    }

    /// <summary>
    /// "DKMS/peer-handshake/v1\0" ‖ u16 BE length of the UTF-8 chain id ‖ chain id ‖ signer's nonce ‖
    /// verifier's nonce ‖ signer's public key.
    /// </summary>
    public static byte[] Transcript(string chainId, ReadOnlySpan<byte> signerNonce, ReadOnlySpan<byte> verifierNonce, PublicKey signer)
    {
        var chain = Encoding.UTF8.GetBytes(chainId);
        if (chain.Length > ushort.MaxValue) throw new ArgumentException("chain id too long", nameof(chainId));
        var domain = Domains.PeerHandshake;
        var m = new byte[domain.Length + 2 + chain.Length + 2 * NonceSize + PublicKey.Size];
        var at = 0;
        domain.CopyTo(m);
        at += domain.Length;
        BinaryPrimitives.WriteUInt16BigEndian(m.AsSpan(at), (ushort)chain.Length);
        at += 2;
        chain.CopyTo(m, at);
        at += chain.Length;
        signerNonce.CopyTo(m.AsSpan(at));
        at += NonceSize;
        verifierNonce.CopyTo(m.AsSpan(at));
        at += NonceSize;
        signer.CopyTo(m.AsSpan(at));
        return m;
    }

    public static byte[] EncodeAuth(ISigner signer, string chainId, ReadOnlySpan<byte> ownNonce, ReadOnlySpan<byte> theirNonce)
    {
        var signature = signer.Sign(Transcript(chainId, ownNonce, theirNonce, signer.PublicKey));
        var packet = new byte[AuthSize];
        packet[0] = Wire.Auth;
        signer.PublicKey.CopyTo(packet.AsSpan(1));
        signature.CopyTo(packet, 1 + PublicKey.Size);
        return packet;
    }

    /// <summary>Parses an Auth packet and checks its signature; the caller still checks the key is a validator.</summary>
    public static bool TryVerifyAuth(ReadOnlySpan<byte> packet, string chainId, ReadOnlySpan<byte> ownNonce, ReadOnlySpan<byte> theirNonce,
        out PublicKey key)
    {
        key = default;
        if (packet.Length != AuthSize || packet[0] != Wire.Auth) return false;
        key = new PublicKey(packet.Slice(1, PublicKey.Size));
        var signature = packet[(1 + PublicKey.Size)..];
        return Ed25519.Verify(key, Transcript(chainId, theirNonce, ownNonce, key), signature);
    }
}
