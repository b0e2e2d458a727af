using Dkms.Core.Crypto;
using Dkms.Core.Encoding;
using Dkms.Core.Primitives;
using MessagePack;

namespace Dkms.Core.Transactions;

/// <summary>
/// What an agent signs to prove to a verifier that it may act for an owner: the verifier's fresh
/// nonce (so the proof cannot be replayed to another verifier or later), the chain, the owner's
/// policy and the action. Signed under its own domain prefix, never confusable with a transaction.
/// </summary>
[MessagePackObject]
public sealed record AgentProofStatement(
    [property: Key(0)] string ChainId,
    [property: Key(1)] byte[] VerifierNonce,
    [property: Key(2)] IdentityId Owner,
    [property: Key(3)] string PolicyId,
    [property: Key(4)] string Action)
{
    public byte[] SigningMessage() => Domains.Prefixed(Domains.AgentProof, Codec.Encode(this));

    public byte[] Sign(ISigner agent) => agent.Sign(SigningMessage());

    /// <summary>True when <paramref name="signature"/> is <paramref name="agent"/>'s signature of this statement.
    /// The agent's rights must still be checked against the ledger.</summary>
    public bool VerifySignature(PublicKey agent, ReadOnlySpan<byte> signature) => Ed25519.Verify(agent, SigningMessage(), signature);
}
