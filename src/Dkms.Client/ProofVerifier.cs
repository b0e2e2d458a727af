using System.Text.Json;
using Dkms.Client.Rpc;
using Dkms.Core.Blocks;
using Dkms.Core.Encoding;
using Dkms.Core.Primitives;
using Dkms.Ledger;
using Dkms.Ledger.Merkle;
using Dkms.Ledger.State;

namespace Dkms.Client;

/// <summary>The outcome of checking a node's answer locally.</summary>
public sealed record Verification<T>(bool IsValid, string Error, T? Value, ulong Height) where T : class
{
    public static Verification<T> Fail(string error) => new(false, error, null, 0);
}

/// <summary>
/// Checks a resolution without trusting the node that served it: the commit certificate must carry a
/// quorum of the trusted validator set's signatures on the header, the header's state root must prove the
/// state record (or its absence) by the Merkle proof, and the readable view must be exactly what the
/// proven bytes say. A single changed byte anywhere fails one of these checks.
/// </summary>
public static class ProofVerifier
{
    /// <summary>Verifies an <c>identity.resolve</c> answer requested with a proof. A valid answer for an
    /// identity that does not exist has <c>IsValid</c> true and a null value.</summary>
    public static Verification<IdentityState> VerifyIdentity(ResolveResult result, string chainId, ValidatorSet trusted)
    {
        if (!IdentityId.TryParse(result.Id, out var id)) return Verification<IdentityState>.Fail($"'{result.Id}' is not a did:dkms identifier");
        var proven = VerifyStateValue(result.Proof, result.Height, StateKeys.Identity(id), chainId, trusted, out var error);
        if (proven is null) return Verification<IdentityState>.Fail(error);
        if (proven.Value is null)
        {
            return result.Identity is null
                ? new(true, "", null, proven.Height)
                : Verification<IdentityState>.Fail("the proof shows the identity absent but the answer shows a state");
        }

        if (!Codec.TryDecode<IdentityState>(proven.Value, out var state, out _) || state is null) return Verification<IdentityState>.Fail("the proven state record does not decode");
        if (state.Id != id) return Verification<IdentityState>.Fail("the proven record belongs to another identity");
        if (!SameJson(result.Identity, Views.Identity(state))) return Verification<IdentityState>.Fail("the readable identity differs from the proven record");
        return new(true, "", state, proven.Height);
    }

    /// <summary>Verifies a <c>policy.get</c> answer requested with a proof.</summary>
    public static Verification<AgentPolicy> VerifyPolicy(PolicyResult result, string chainId, ValidatorSet trusted)
    {
        if (!IdentityId.TryParse(result.Owner, out var owner)) return Verification<AgentPolicy>.Fail($"'{result.Owner}' is not a did:dkms identifier");
        var proven = VerifyStateValue(result.Proof, result.Height, StateKeys.Policy(owner, result.PolicyId), chainId, trusted, out var error);
        if (proven is null) return Verification<AgentPolicy>.Fail(error);
        if (proven.Value is null)
        {
            return result.Policy is null ? new(true, "", null, proven.Height) : Verification<AgentPolicy>.Fail("the proof shows the policy absent but the answer shows one");
        }

        if (!Codec.TryDecode<AgentPolicy>(proven.Value, out var policy, out _) || policy is null) return Verification<AgentPolicy>.Fail("the proven policy record does not decode");
        if (policy.Owner != owner || policy.PolicyId != result.PolicyId) return Verification<AgentPolicy>.Fail("the proven policy belongs to another owner or policy");
        if (!SameJson(result.Policy, Views.Policy(policy))) return Verification<AgentPolicy>.Fail("the readable policy differs from the proven record");
        return new(true, "", policy, proven.Height);
    }

    /// <summary>Checks certificate → header → state root → (key, value); returns the proven value or null with the reason.</summary>
    public static ProvenValue? VerifyStateValue(StateProofView? proof, ulong height, byte[] expectedKey, string chainId, ValidatorSet trusted, out string error)
    {
        if (proof is null) { error = "the answer carries no proof (ask with proof=true)"; return null; }
        if (proof.Height != height) { error = "the proof is for another height than the answer"; return null; }
        if (!TryBase64(proof.Header, out var headerBytes) || !Codec.TryDecode<BlockHeader>(headerBytes, out var header, out _) || header is null)
        {
            error = "the block header does not decode";
            return null;
        }

        if (!TryBase64(proof.Certificate, out var certBytes) || !Codec.TryDecode<CommitCertificate>(certBytes, out var certificate, out _) || certificate is null)
        {
            error = "the commit certificate does not decode";
            return null;
        }

        if (header.ChainId != chainId) { error = $"the header is of chain '{header.ChainId}', not '{chainId}'"; return null; }
        if (header.Height != height || certificate.Height != height) { error = "header, certificate and answer name different heights"; return null; }
        if (!certificate.Verify(trusted, chainId, header.ComputeHash(), out var certError)) { error = $"commit certificate: {certError}"; return null; }
        if (!TryHex(proof.StateRoot, out var rootBytes) || rootBytes.Length != Hash32.Size || new Hash32(rootBytes) != header.StateRoot)
        {
            error = "the proof's state root is not the certified header's";
            return null;
        }

        if (!TryHex(proof.Key, out var key) || !key.AsSpan().SequenceEqual(expectedKey)) { error = "the proof is for another state key"; return null; }
        byte[]? value = null;
        if (proof.Value is not null && !TryBase64(proof.Value, out value)) { error = "the proven value is not base64"; return null; }
        if (!TryBase64(proof.MerkleProof, out var proofBytes) || !Codec.TryDecode<MerkleProof>(proofBytes, out var merkle, out _) || merkle is null)
        {
            error = "the Merkle proof does not decode";
            return null;
        }

        var proven = new ProvenValue(height, header.StateRoot, key, value, merkle);
        if (!proven.Verify(header.StateRoot)) { error = "the Merkle proof does not lead to the certified state root"; return null; }
        error = "";
        return proven;
    }

    private static bool SameJson<T>(T? a, T b) =>
        a is not null && JsonSerializer.Serialize(a, RpcJson.Options) == JsonSerializer.Serialize(b, RpcJson.Options);

    private static bool TryBase64(string? s, out byte[] bytes)
    {
        bytes = [];
        if (s is null) return false;
        bytes = new byte[s.Length];
        if (!Convert.TryFromBase64String(s, bytes, out var n)) return false;
        bytes = bytes[..n];
        return true;
    }

    private static bool TryHex(string? s, out byte[] bytes)
    {
        bytes = [];
        if (s is null || s.Length % 2 != 0) return false;
        try
        {
            bytes = Convert.FromHexString(s);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
