using Dkms.Core.Primitives;

namespace Dkms.Core.Crypto;

/// <summary>
/// Signs messages with a key it keeps to itself. Consensus, the wallet and test builders all sign
/// through this; nothing outside an implementation ever sees private key bytes.
/// </summary>
public interface ISigner
{
    PublicKey PublicKey { get; }

    /// <summary>Ed25519 signature (64 bytes) over <paramref name="message"/>.</summary>
    byte[] Sign(ReadOnlySpan<byte> message);
}
