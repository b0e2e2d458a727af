using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Dkms.Core.Crypto;
using Dkms.Core.Encoding;
using Dkms.Core.Primitives;

namespace Dkms.Network;

/// <summary>Which end of the LiteNetLib connection a node is: the dialer initiates, the acceptor responds.</summary>
internal enum HandshakeRole : byte
{
    Initiator = 0,
    Responder = 1,
}

/// <summary>A decoded Hello: what the other end says about itself, not yet proven. <paramref name="Observer"/>: the
/// dialer asks for an observer session (docs/node.md, "Observers"); it is a request, never an authority — the key decides
/// whether a session is a validator's.</summary>
internal readonly record struct Hello(HandshakeRole Role, byte[] Nonce, byte[] Ephemeral, PublicKey NodeKey, bool Observer = false);

/// <summary>
/// The two handshake packets and the transcript they bind. Each side sends Hello(role, fresh nonce, fresh X25519
/// key, node key); on the other's Hello each signs the transcript hash — chain id, both node keys, both
/// ephemeral keys and both nonces in initiator/responder order — and sends it as Auth. The session keys come from
/// the same transcript (<see cref="SecureSession"/>), so a valid Auth vouches for exactly the keys of this
/// connection. The roles are what a relay cannot fake: it can make both validators accept (both responders) or
/// dial a held address (the dialer names whom it expected), and either way the transcripts differ.
/// </summary>
internal static class Handshake
{
    public const int NonceSize = 32;

    public const int EphemeralSize = 32;

    /// <summary>[type][version][role][nonce 32][ephemeral 32][node key 32]</summary>
    public const int HelloSize = 3 + NonceSize + EphemeralSize + PublicKey.Size;

    /// <summary>[type][signature 64]</summary>
    public const int AuthSize = 1 + Ed25519.SignatureSize;

    /// <summary>The largest packet of the handshake; anything bigger before authentication is dropped unread.</summary>
    public const int MaxPacketSize = HelloSize > AuthSize ? HelloSize : AuthSize;

    public const byte Version = 2;

    /// <summary>Set in the role byte of an observer's Hello. Validators' handshakes are unchanged by it.</summary>
    public const byte ObserverFlag = 0x80;

    public static byte[] NewNonce() => RandomNumberGenerator.GetBytes(NonceSize);

    public static byte[] EncodeHello(HandshakeRole role, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ephemeral, PublicKey nodeKey, bool observer = false)
    {
        var packet = new byte[HelloSize];
        packet[0] = Wire.Hello;
        packet[1] = Version;
        packet[2] = (byte)((byte)role | (observer ? ObserverFlag : 0));
        nonce.CopyTo(packet.AsSpan(3));
        ephemeral.CopyTo(packet.AsSpan(3 + NonceSize));
        nodeKey.CopyTo(packet.AsSpan(3 + NonceSize + EphemeralSize));
        return packet;
    }

    public static bool TryDecodeHello(ReadOnlySpan<byte> packet, out Hello hello)
    {
        hello = default;
        if (packet.Length != HelloSize || packet[0] != Wire.Hello || packet[1] != Version) return false;
        var role = packet[2] & ~ObserverFlag;
        var observer = (packet[2] & ObserverFlag) != 0;
        // Only a dialer asks for an observer session.
        if (role > (byte)HandshakeRole.Responder || (observer && role != (byte)HandshakeRole.Initiator)) return false;
        hello = new Hello(
            (HandshakeRole)role,
            packet.Slice(3, NonceSize).ToArray(),
            packet.Slice(3 + NonceSize, EphemeralSize).ToArray(),
            new PublicKey(packet.Slice(3 + NonceSize + EphemeralSize, PublicKey.Size)),
            observer);
        return true;
    }

    /// <summary>
    /// SHA-256 of "DKMS/peer-handshake/v2\0" ‖ u16 BE length of the UTF-8 chain id ‖ chain id ‖ initiator's node key ‖
    /// responder's node key ‖ initiator's ephemeral ‖ responder's ephemeral ‖ initiator's nonce ‖ responder's nonce, and
    /// one byte 1 when the initiator asked for an observer session (so that request is signed by both ends too).
    /// </summary>
    public static byte[] TranscriptHash(string chainId, Hello initiator, Hello responder)
    {
        var chain = Encoding.UTF8.GetBytes(chainId);
        if (chain.Length > ushort.MaxValue) throw new ArgumentException("chain id too long", nameof(chainId));
        var domain = Domains.PeerHandshake;
        var m = new byte[domain.Length + 2 + chain.Length + 2 * (PublicKey.Size + EphemeralSize + NonceSize) + (initiator.Observer ? 1 : 0)];
        var at = 0;
        domain.CopyTo(m);
        at += domain.Length;
        BinaryPrimitives.WriteUInt16BigEndian(m.AsSpan(at), (ushort)chain.Length);
        at += 2;
        chain.CopyTo(m, at);
        at += chain.Length;
        foreach (var part in new[]
        {
            initiator.NodeKey.ToArray(), responder.NodeKey.ToArray(), initiator.Ephemeral, responder.Ephemeral,
            initiator.Nonce, responder.Nonce,
        })
        {
            part.CopyTo(m, at);
            at += part.Length;
        }

        if (initiator.Observer) m[at] = 1;

        return SHA256.HashData(m);
    }

    /// <summary>What a side signs: the domain, its own role (so the two Auths of a connection differ) and the transcript hash.</summary>
    public static byte[] SignedMessage(HandshakeRole signer, ReadOnlySpan<byte> transcriptHash) =>
        Domains.Prefixed(Domains.PeerHandshake, [(byte)signer, .. transcriptHash]);

    public static byte[] EncodeAuth(ISigner signer, HandshakeRole role, ReadOnlySpan<byte> transcriptHash)
    {
        var signature = signer.Sign(SignedMessage(role, transcriptHash));
        var packet = new byte[AuthSize];
        packet[0] = Wire.Auth;
        signature.CopyTo(packet, 1);
        return packet;
    }

    /// <summary>Checks an Auth from <paramref name="signerKey"/> (named in its Hello) playing <paramref name="signerRole"/>.</summary>
    public static bool VerifyAuth(ReadOnlySpan<byte> packet, PublicKey signerKey, HandshakeRole signerRole, ReadOnlySpan<byte> transcriptHash) =>
        packet.Length == AuthSize && packet[0] == Wire.Auth
        && Ed25519.Verify(signerKey, SignedMessage(signerRole, transcriptHash), packet[1..]);
}
