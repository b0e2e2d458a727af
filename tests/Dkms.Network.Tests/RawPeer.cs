using System.Net;
using Dkms.Adversary.OffPath;
using Dkms.Core.Crypto;
using Dkms.Core.Primitives;

namespace Dkms.Network.Tests;

/// <summary>
/// The tool's bare client (<see cref="RawClient"/>) that can also run a correct handshake with a key of the test's
/// choosing and then send sealed frames of any shape.
/// </summary>
internal sealed class RawPeer(int port, bool dkmsTag = true, IPAddress? bind = null) : RawClient(port, dkmsTag, bind)
{
    /// <summary>The session of <see cref="Authenticate"/>, for <see cref="SendFrames"/>.</summary>
    public SecureSession? Session { get; private set; }

    /// <summary>Runs the handshake as <paramref name="key"/>, the dialer: Hello, then Auth once the node's Hello arrived.</summary>
    public void Authenticate(ISigner key, string chainId, PublicKey nodeKey)
    {
        Eventually.True(() => Connected, "raw client connected");
        Session = new SecureSession();
        var ours = new Hello(HandshakeRole.Initiator, Handshake.NewNonce(), Session.EphemeralPublic, key.PublicKey);
        Send(Handshake.EncodeHello(ours.Role, ours.Nonce, ours.Ephemeral, ours.NodeKey));
        Eventually.True(() => Received.Any(p => p[0] == Wire.Hello), "the node's hello");
        Assert.True(Handshake.TryDecodeHello(Received.First(p => p[0] == Wire.Hello), out var theirs));
        Assert.Equal((HandshakeRole.Responder, nodeKey), (theirs.Role, theirs.NodeKey));
        var transcript = Handshake.TranscriptHash(chainId, ours, theirs);
        Assert.True(Session.TryEstablish(theirs.Ephemeral, HandshakeRole.Initiator, transcript));
        Send(Handshake.EncodeAuth(key, HandshakeRole.Initiator, transcript));
    }

    /// <summary>Seals raw frame bytes (well-formed or not) as the next packet of the session and sends it.</summary>
    public void SendFrames(byte[] frames)
    {
        var buffer = new byte[SecureSession.HeaderSize + frames.Length + SecureSession.TagSize];
        frames.CopyTo(buffer, SecureSession.HeaderSize);
        var length = Session!.Seal(buffer, SecureSession.HeaderSize + frames.Length);
        Send(buffer[..length]);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) Session?.Dispose();
        base.Dispose(disposing);
    }
}
