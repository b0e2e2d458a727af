using Dkms.Core.Encoding;
using Dkms.Core.Primitives;

namespace Dkms.Core.Transactions;

/// <summary>
/// Turns untrusted bytes into a <see cref="Transaction"/> or a <c>Malformed</c> result. Accepts only the
/// canonical encoding (decoding then re-encoding must give the same bytes), so one transaction has
/// exactly one byte form and one hash.
/// </summary>
public static class TransactionCodec
{
    public static bool TryDecode(byte[] encoded, out Transaction? tx, out TxResult error)
    {
        tx = null;
        if (encoded.Length == 0 || encoded.Length > Limits.MaxTransactionBytes)
        {
            error = Malformed($"transaction size {encoded.Length} bytes is outside 1..{Limits.MaxTransactionBytes}");
            return false;
        }

        if (!Codec.TryDecode<SignedTransactionEnvelope>(encoded, out var envelope, out var why) || envelope is null)
        {
            error = Malformed($"not a signed transaction: {why}");
            return false;
        }

        if (envelope.Body is null || envelope.Signatures is null)
        {
            error = Malformed("body or signature list missing");
            return false;
        }

        if (!Codec.TryDecode<TxBody>(envelope.Body, out var body, out why) || body is null)
        {
            error = Malformed($"transaction body does not decode: {why}");
            return false;
        }

        var shape = TransactionShape.Check(body, envelope.Signatures);
        if (!shape.IsOk)
        {
            error = shape;
            return false;
        }

        if (!Codec.Encode(body).AsSpan().SequenceEqual(envelope.Body) || !Codec.Encode(envelope).AsSpan().SequenceEqual(encoded))
        {
            error = Malformed("transaction is not in canonical encoding");
            return false;
        }

        tx = new Transaction(encoded, envelope.Body, body, envelope.Signatures);
        error = TxResult.Success;
        return true;
    }

    public static Transaction Decode(byte[] encoded) =>
        TryDecode(encoded, out var tx, out var error) ? tx! : throw new FormatException(error.ToString());

    /// <summary>Encodes <paramref name="body"/> canonically and signs it with each signer.</summary>
    public static Transaction Sign(TxBody body, IEnumerable<(Crypto.ISigner Signer, IdentityId? OnBehalfOf)> signers)
    {
        var bodyBytes = Codec.Encode(body);
        var message = Transaction.SigningMessageFor(bodyBytes);
        var sigs = signers.Select(s => new TxSignature(s.Signer.PublicKey, s.Signer.Sign(message), s.OnBehalfOf)).ToArray();
        var encoded = Codec.Encode(new SignedTransactionEnvelope(bodyBytes, sigs));
        return new Transaction(encoded, bodyBytes, body, sigs);
    }

    /// <summary>The identifier an inception payload creates: first 16 bytes of SHA-256 of its canonical encoding.</summary>
    public static IdentityId DeriveIdentity(InceptionPayload inception) => IdentityId.Derive(Codec.Encode(inception));

    internal static TxResult Malformed(string message) => TxResult.Fail(ErrorCode.Malformed, message);
}
