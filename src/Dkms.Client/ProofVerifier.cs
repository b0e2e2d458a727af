using System.Text.Json;
using Dkms.Core.Blocks;
using Dkms.Core.Encoding;
using Dkms.Core.Primitives;
using Dkms.Ledger;
using Dkms.Ledger.Merkle;
using Dkms.Ledger.State;
using Dkms.Rpc;

namespace Dkms.Client;

/// <summary>
/// Checks a node's answer without trusting the node. Authentic: the commit certificate carries a quorum
/// of the signatures of the validators in force at the answer's height (as far as the <see cref="TrustedChain"/> has
/// followed the set) on the header, the header's state root proves the state record
/// (or its absence) by the Merkle proof, and the readable view is exactly what the proven bytes say.
/// The answer to the question asked: the state key, the record's identity (owner, policy id) and the
/// height are the ones of the caller's query, never the ones the answer names. Fresh: an answer to a
/// "latest" question is no older than the caller's <see cref="Freshness"/>. A single changed byte, or a
/// genuine answer to another question, fails one of these checks — except in the certificate of a header the
/// <see cref="TrustedChain"/> has already verified one for (<see cref="CertifiedHeaders"/>): that header is certified
/// whatever copy of its certificate a later answer carries.
/// </summary>
public static class ProofVerifier
{
    /// <summary>Verifies an <c>identity.resolve</c> answer (asked with a proof) to <paramref name="asked"/>. A valid
    /// answer for an identity that does not exist has <c>IsValid</c> true and a null value.</summary>
    public static Verification<IdentityState> VerifyIdentity(ResolveResult answer, IdentityQuery asked, TrustedChain chain, Freshness freshness)
    {
        if (!IdentityId.TryParse(answer.Id, out var named) || named != asked.Id)
        {
            return Verification<IdentityState>.Fail($"the answer is about '{answer.Id}', not the identity asked for ({asked.Id})", VerificationFailure.NotWhatWasAsked);
        }

        var proven = VerifyStateValue(answer.Proof, answer.Height, StateKeys.Identity(asked.Id), asked.Height, chain, freshness);
        if (!proven.IsValid) return Verification<IdentityState>.Fail(proven.Error, proven.Failure);
        var value = proven.Value!.Value;
        if (value is null)
        {
            return answer.Identity is null
                ? Verification<IdentityState>.Proven(null, proven.Height, proven.BlockTime)
                : Verification<IdentityState>.Fail("the proof shows the identity absent but the answer shows a state");
        }

        if (!Codec.TryDecode<IdentityState>(value, out var state, out _) || state is null) return Verification<IdentityState>.Fail("the proven state record does not decode");
        if (state.Id != asked.Id) return Verification<IdentityState>.Fail("the proven record belongs to another identity", VerificationFailure.NotWhatWasAsked);
        if (!SameJson(answer.Identity, Views.Identity(state))) return Verification<IdentityState>.Fail("the readable identity differs from the proven record");
        return Verification<IdentityState>.Proven(state, proven.Height, proven.BlockTime);
    }

    /// <summary>Verifies a <c>policy.get</c> answer (asked with a proof) to <paramref name="asked"/>. A valid answer for
    /// a policy that does not exist has <c>IsValid</c> true and a null value.</summary>
    public static Verification<AgentPolicy> VerifyPolicy(PolicyResult answer, PolicyQuery asked, TrustedChain chain, Freshness freshness)
    {
        if (!IdentityId.TryParse(answer.Owner, out var owner) || owner != asked.Owner || answer.PolicyId != asked.PolicyId)
        {
            return Verification<AgentPolicy>.Fail($"the answer is about policy '{answer.PolicyId}' of '{answer.Owner}', not '{asked.PolicyId}' of {asked.Owner}", VerificationFailure.NotWhatWasAsked);
        }

        var proven = VerifyStateValue(answer.Proof, answer.Height, StateKeys.Policy(asked.Owner, asked.PolicyId), asked.Height, chain, freshness);
        if (!proven.IsValid) return Verification<AgentPolicy>.Fail(proven.Error, proven.Failure);
        var value = proven.Value!.Value;
        if (value is null)
        {
            return answer.Policy is null
                ? Verification<AgentPolicy>.Proven(null, proven.Height, proven.BlockTime)
                : Verification<AgentPolicy>.Fail("the proof shows the policy absent but the answer shows one");
        }

        if (!Codec.TryDecode<AgentPolicy>(value, out var policy, out _) || policy is null) return Verification<AgentPolicy>.Fail("the proven policy record does not decode");
        if (policy.Owner != asked.Owner || policy.PolicyId != asked.PolicyId)
        {
            return Verification<AgentPolicy>.Fail("the proven policy belongs to another owner or policy", VerificationFailure.NotWhatWasAsked);
        }

        if (!SameJson(answer.Policy, Views.Policy(policy))) return Verification<AgentPolicy>.Fail("the readable policy differs from the proven record");
        return Verification<AgentPolicy>.Proven(policy, proven.Height, proven.BlockTime);
    }

    /// <summary>
    /// Checks certificate → header → state root → (<paramref name="expectedKey"/>, value), that the height is
    /// <paramref name="askedHeight"/> when one was asked for, and otherwise <paramref name="freshness"/>.
    /// The value is the <see cref="ProvenValue"/> (whose own value is null when the proof shows the key absent).
    /// </summary>
    public static Verification<ProvenValue> VerifyStateValue(StateProofView? proof, ulong answerHeight, byte[] expectedKey, ulong? askedHeight, TrustedChain chain, Freshness freshness)
    {
        if (proof is null) return Verification<ProvenValue>.Fail("the answer carries no proof (ask with proof=true)");
        if (chain.SetAt(proof.Height) is not { } validators)
        {
            return chain.IsSkippedOver(proof.Height)
                ? Verification<ProvenValue>.Fail($"the answer is for height {proof.Height}, in a range of validator-set changes this client skipped; follow them one by one (without skipping) to verify it")
                : Verification<ProvenValue>.Fail($"the answer is for height {proof.Height}, below the height this client's trust starts at ({chain.Root.FromHeight})");
        }

        return VerifyStateValue(proof, answerHeight, expectedKey, askedHeight, chain.ChainId, validators, freshness, chain.CertifiedHeaders);
    }

    /// <summary>As the public overload, with the certificate checked against <paramref name="validators"/>: the set a
    /// validator-set change must be certified by. A header in <paramref name="certified"/> under the same set has had its
    /// certificate verified already; one verified now is added.</summary>
    internal static Verification<ProvenValue> VerifyStateValue(StateProofView proof, ulong answerHeight, byte[] expectedKey, ulong? askedHeight,
        string chainId, ValidatorSet validators, Freshness freshness, CertifiedHeaders? certified = null)
    {
        var height = proof.Height;
        if (answerHeight != height) return Verification<ProvenValue>.Fail("the proof is for another height than the answer");
        if (askedHeight is { } asked && height != asked)
        {
            return Verification<ProvenValue>.Fail($"the answer is for height {height}, not the height asked for ({asked})", VerificationFailure.NotWhatWasAsked);
        }

        if (!TryBase64(proof.Header, out var headerBytes) || !Codec.TryDecode<BlockHeader>(headerBytes, out var header, out _) || header is null)
        {
            return Verification<ProvenValue>.Fail("the block header does not decode");
        }

        if (header.ChainId != chainId) return Verification<ProvenValue>.Fail($"the header is of chain '{header.ChainId}', not '{chainId}'");
        if (header.Height != height) return Verification<ProvenValue>.Fail("header and answer name different heights");
        var headerHash = header.ComputeHash();
        if (certified is null || !certified.Contains(headerHash, validators))
        {
            if (!TryBase64(proof.Certificate, out var certBytes) || !Codec.TryDecode<CommitCertificate>(certBytes, out var certificate, out _) || certificate is null)
            {
                return Verification<ProvenValue>.Fail("the commit certificate does not decode");
            }

            if (certificate.Height != height) return Verification<ProvenValue>.Fail("header, certificate and answer name different heights");
            if (!certificate.Verify(validators, chainId, headerHash, out var certError)) return Verification<ProvenValue>.Fail($"commit certificate: {certError}");
            certified?.Add(headerHash, validators);
        }
        if (!TryHex(proof.StateRoot, out var rootBytes) || rootBytes.Length != Hash32.Size || new Hash32(rootBytes) != header.StateRoot)
        {
            return Verification<ProvenValue>.Fail("the proof's state root is not the certified header's");
        }

        if (!TryHex(proof.Key, out var key) || !key.AsSpan().SequenceEqual(expectedKey))
        {
            return Verification<ProvenValue>.Fail("the proof is for another state record than the one asked for", VerificationFailure.NotWhatWasAsked);
        }

        byte[]? value = null;
        if (proof.Value is not null && !TryBase64(proof.Value, out value)) return Verification<ProvenValue>.Fail("the proven value is not base64");
        if (!TryBase64(proof.MerkleProof, out var proofBytes) || !Codec.TryDecode<MerkleProof>(proofBytes, out var merkle, out _) || merkle is null)
        {
            return Verification<ProvenValue>.Fail("the Merkle proof does not decode");
        }

        var proven = new ProvenValue(height, header.StateRoot, key, value, merkle);
        if (!proven.Verify(header.StateRoot)) return Verification<ProvenValue>.Fail("the Merkle proof does not lead to the certified state root");
        if (header.TimestampMs < 0 || header.TimestampMs > DateTimeOffset.MaxValue.ToUnixTimeMilliseconds()) return Verification<ProvenValue>.Fail("the certified header's time is out of range");
        var blockTime = DateTimeOffset.FromUnixTimeMilliseconds(header.TimestampMs);
        if (askedHeight is null)
        {
            var fresh = CheckFreshness(height, blockTime, freshness);
            if (fresh is not null) return fresh;
        }

        return Verification<ProvenValue>.Proven(proven, height, blockTime);
    }

    private static Verification<ProvenValue>? CheckFreshness(ulong height, DateTimeOffset blockTime, Freshness freshness)
    {
        if (height < freshness.VerifiedHeight)
        {
            return Verification<ProvenValue>.Fail(
                $"the answer is for height {height}, below height {freshness.VerifiedHeight} that this client has already verified: the node is behind, or hides newer blocks",
                VerificationFailure.BelowVerifiedHeight);
        }

        var age = freshness.Time.GetUtcNow() - blockTime;
        if (age > freshness.MaxAge)
        {
            return Verification<ProvenValue>.Fail(
                $"the newest block the node proves (height {height}, {blockTime:u}) is {Seconds(age)} old, more than the {Seconds(freshness.MaxAge)} allowed: the node may hide newer blocks (or the chain has been idle)",
                VerificationFailure.TooOld);
        }

        return null;
    }

    private static string Seconds(TimeSpan span) => span == TimeSpan.MaxValue
        ? "unbounded"
        : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{span.TotalSeconds:0.#} s");

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
