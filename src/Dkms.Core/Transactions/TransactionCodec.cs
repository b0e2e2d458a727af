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

    /// <summary>
    /// The identifier (<see cref="Transaction.Hash"/>) of a signed encoding, read without decoding it: the SHA-256 of
    /// the body bytes at the start of the envelope. For naming what was refused or listed cheaply; it checks nothing
    /// else, so bytes that would not decode can still have one.
    /// </summary>
    public static bool TryIdentify(ReadOnlyMemory<byte> encoded, out Hash32 hash)
    {
        hash = default;
        try
        {
            var reader = new MessagePack.MessagePackReader(encoded);
            if (reader.ReadArrayHeader() != 2) return false;
            var body = reader.ReadBytes();
            if (body is not { } bytes) return false;
            hash = bytes.IsSingleSegment ? Hash32.Sha256(bytes.FirstSpan) : Hash32.Sha256(System.Buffers.BuffersExtensions.ToArray(bytes));
            return true;
        }
        catch (Exception e) when (e is MessagePack.MessagePackSerializationException or EndOfStreamException)
        {
            return false;
        }
    }

    public static Transaction Decode(byte[] encoded) =>
        TryDecode(encoded, out var tx, out var error) ? tx! : throw new FormatException(error.ToString());

    /// <summary>
    /// Encodes <paramref name="body"/> canonically and signs it with each signer, putting the signatures in canonical
    /// order (<see cref="TransactionShape.CanonicalOrder"/>). A signer given twice signs once. Does not check the
    /// result: a caller building a transaction the ledger will refuse (a test, say) gets it as built.
    /// </summary>
    public static Transaction Sign(TxBody body, IEnumerable<(Crypto.ISigner Signer, IdentityId? OnBehalfOf)> signers)
    {
        var bodyBytes = Codec.Encode(body);
        var message = Transaction.SigningMessageFor(bodyBytes);
        var sigs = signers.Select(s => new TxSignature(s.Signer.PublicKey, s.Signer.Sign(message), s.OnBehalfOf)).ToArray();
        return FromParts(bodyBytes, body, sigs);
    }

    /// <summary>
    /// Puts a transaction together from body bytes and signatures collected separately (trustees signing a
    /// recovery request each on their own machine): the signatures are put in canonical order, a repeated entry is
    /// kept once, and the result is decoded and checked like any submitted transaction.
    /// </summary>
    public static bool TryAssemble(byte[] bodyBytes, IEnumerable<TxSignature> signatures, out Transaction? tx, out TxResult error) =>
        TryDecode(Codec.Encode(new SignedTransactionEnvelope(bodyBytes, Canonical(signatures))), out tx, out error);

    private static Transaction FromParts(byte[] bodyBytes, TxBody body, IEnumerable<TxSignature> signatures)
    {
        var sigs = Canonical(signatures);
        var encoded = Codec.Encode(new SignedTransactionEnvelope(bodyBytes, sigs));
        return new Transaction(encoded, bodyBytes, body, sigs);
    }

    private static TxSignature[] Canonical(IEnumerable<TxSignature> signatures)
    {
        var sorted = signatures.ToList();
        sorted.Sort(TransactionShape.CanonicalOrder);
        // Ed25519 signatures are deterministic, so an entry repeated by the same signer is the same entry.
        var distinct = new List<TxSignature>(sorted.Count);
        foreach (var s in sorted)
        {
            if (distinct.Count == 0 || TransactionShape.CanonicalOrder(distinct[^1], s) != 0) distinct.Add(s);
        }

        return [.. distinct];
    }

    /// <summary>The identifier an inception payload creates: first 16 bytes of SHA-256 of its canonical encoding.</summary>
    public static IdentityId DeriveIdentity(InceptionPayload inception) => IdentityId.Derive(Codec.Encode(inception));

    internal static TxResult Malformed(string message) => TxResult.Fail(ErrorCode.Malformed, message);
}
