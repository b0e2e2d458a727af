using Dkms.Core.Encoding;
using Dkms.Core.Primitives;

namespace Dkms.Core.Transactions;

/// <summary>
/// A decoded, structurally checked transaction together with the exact bytes it came from.
/// <see cref="Hash"/>, the transaction's identifier, is SHA-256 of the signed body bytes: whoever relays a
/// transaction cannot give it another identifier by changing its signatures, so an author tracking its hash
/// learns the fate of whatever variant was committed. <see cref="EnvelopeHash"/> covers the signatures too:
/// a cached "signatures verified" result is keyed by it, so it is trusted for exactly those bytes.
/// </summary>
public sealed class Transaction
{
    internal Transaction(byte[] encoded, byte[] bodyBytes, TxBody body, TxSignature[] signatures)
    {
        Encoded = encoded;
        BodyBytes = bodyBytes;
        Body = body;
        Signatures = signatures;
        Hash = Hash32.Sha256(bodyBytes);
        EnvelopeHash = Hash32.Sha256(encoded);
    }

    /// <summary>The canonical signed encoding (envelope): what travels and what is stored.</summary>
    public byte[] Encoded { get; }

    /// <summary>The canonical body bytes the signatures cover (after the domain prefix).</summary>
    public byte[] BodyBytes { get; }

    public TxBody Body { get; }

    public IReadOnlyList<TxSignature> Signatures { get; }

    /// <summary>The transaction's identifier: SHA-256 of <see cref="BodyBytes"/>. Every signed variant of one body shares it.</summary>
    public Hash32 Hash { get; }

    /// <summary>SHA-256 of <see cref="Encoded"/> (body and signatures): what a verified-signature result is cached under.</summary>
    public Hash32 EnvelopeHash { get; }

    public TxType Type => Body.Payload.Type;

    public IdentityId Subject => Body.Subject;

    public ulong Sequence => Body.Sequence;

    /// <summary>The message every signature of this transaction signs: domain prefix then body bytes.</summary>
    public byte[] SigningMessage() => SigningMessageFor(BodyBytes);

    public static byte[] SigningMessageFor(ReadOnlySpan<byte> bodyBytes) => Domains.Prefixed(Domains.Transaction, bodyBytes);

    public override string ToString() => $"{Type} {Subject} #{Sequence} ({Hash.ToHex()[..12]})";
}
