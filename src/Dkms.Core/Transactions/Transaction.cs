using Dkms.Core.Encoding;
using Dkms.Core.Primitives;

namespace Dkms.Core.Transactions;

/// <summary>
/// A decoded, structurally checked transaction together with the exact bytes it came from.
/// <see cref="Hash"/> is SHA-256 of the whole signed encoding, so two byte-different submissions never
/// share a hash and a cached signature result can be trusted for exactly those bytes.
/// </summary>
public sealed class Transaction
{
    internal Transaction(byte[] encoded, byte[] bodyBytes, TxBody body, TxSignature[] signatures)
    {
        Encoded = encoded;
        BodyBytes = bodyBytes;
        Body = body;
        Signatures = signatures;
        Hash = Hash32.Sha256(encoded);
    }

    /// <summary>The canonical signed encoding (envelope): what travels and what is stored.</summary>
    public byte[] Encoded { get; }

    /// <summary>The canonical body bytes the signatures cover (after the domain prefix).</summary>
    public byte[] BodyBytes { get; }

    public TxBody Body { get; }

    public IReadOnlyList<TxSignature> Signatures { get; }

    public Hash32 Hash { get; }

    public TxType Type => Body.Payload.Type;

    public IdentityId Subject => Body.Subject;

    public ulong Sequence => Body.Sequence;

    /// <summary>The message every signature of this transaction signs: domain prefix then body bytes.</summary>
    public byte[] SigningMessage() => SigningMessageFor(BodyBytes);

    public static byte[] SigningMessageFor(ReadOnlySpan<byte> bodyBytes) => Domains.Prefixed(Domains.Transaction, bodyBytes);

    public override string ToString() => $"{Type} {Subject} #{Sequence} ({Hash.ToHex()[..12]})";
}
