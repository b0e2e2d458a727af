using Dkms.Core.Primitives;
using MessagePack;

namespace Dkms.Core.Transactions;

/// <summary>
/// Everything a transaction's signatures cover. <see cref="Sequence"/> must be the subject's current
/// sequence + 1: it orders an identity's events and makes a replay fail.
/// </summary>
[MessagePackObject]
public sealed record TxBody(
    [property: Key(0)] string ChainId,
    [property: Key(1)] IdentityId Subject,
    [property: Key(2)] ulong Sequence,
    [property: Key(3)] TxPayload Payload);

/// <summary>
/// One signature. <see cref="Signer"/> names the identity whose key this is when it is not the
/// subject (a trustee in a recovery); agent keys and the subject's own keys leave it empty.
/// </summary>
[MessagePackObject]
public sealed record TxSignature(
    [property: Key(0)] PublicKey Key,
    [property: Key(1)] byte[] Signature,
    [property: Key(2)] IdentityId? Signer);

/// <summary>The wire and storage form: the canonical body bytes, exactly as signed, and the signatures.</summary>
[MessagePackObject]
public sealed record SignedTransactionEnvelope(
    [property: Key(0)] byte[] Body,
    [property: Key(1)] TxSignature[] Signatures);
